/*
 * Copyright the idempotent authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 *
 *      https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the License is
 * distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
 * implied. See the License for the specific language governing permissions and limitations under the
 * License.
 */
package dev.idempotent.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.ListStatistics;

/**
 * The performance targets, checked against one run of {@link IdempotencyBenchmarks}. Each figure is
 * computed per measured iteration from the benchmark's counters and given as the mean with its 99.9%
 * confidence half-width over the iterations of every fork; a benchmark left out of the run reads n/a.
 */
final class BenchmarkRatios {

	private static final double CONFIDENCE = 0.999;

	private final Map<String, Collection<IterationResult>> iterations;

	private BenchmarkRatios(Map<String, Collection<IterationResult>> iterations) {
		this.iterations = iterations;
	}

	static BenchmarkRatios of(Collection<RunResult> results) {
		Map<String, Collection<IterationResult>> iterations = new HashMap<>();
		for (RunResult result : results) {
			String benchmark = result.getParams().getBenchmark();
			String name = benchmark.substring(benchmark.lastIndexOf('.') + 1);
			for (BenchmarkResult fork : result.getBenchmarkResults()) {
				iterations.computeIfAbsent(name, (key) -> new ArrayList<>()).addAll(fork.getIterationResults());
			}
		}
		return new BenchmarkRatios(iterations);
	}

	String report() {
		StringBuilder report = new StringBuilder();
		report.append("Idempotency benchmarks: mean ± 99.9% error over the measured iterations of this run\n");
		report.append("Redis: our path and its floor, timed in turns (µs per call; ratio ours / floor; the calling "
				+ "thread's CPU µs per call)\n");
		pair(report, "claimAndComplete", "store claim + complete vs SET NX PX + SET", 1.10);
		pair(report, "storeDuplicate", "duplicate, store claim vs GET", Double.NaN);
		pair(report, "proxyDuplicate", "duplicate through the proxy vs GET", 1.10);
		pair(report, "proxyDuplicateNearCache", "the same, near-cache on (a storm)", 1.10);
		pair(report, "proxyDuplicateAgainstDecodedGet", "duplicate via proxy vs GET + JSON read by hand", Double.NaN);
		pair(report, "proxyOnRedis", "new call through the proxy vs SET NX PX + SET", Double.NaN);
		report.append("Reactive, on Redis: a Mono method through the proxy and its plain reactive floor, in turns\n");
		pair(report, "monoOnRedis", "new call vs Mono of SET NX PX + SET", Double.NaN);
		pair(report, "monoDuplicate", "duplicate vs a reactive GET", Double.NaN);
		report.append("In process: CPU time of the calling thread per call (µs)\n");
		Stat plain = cpu(report, "plainMethod", "plain method, no annotation");
		Stat noOp = cpu(report, "proxyOnNoOpStore", "through the proxy, no-op store");
		Stat inMemory = cpu(report, "proxyOnInMemory", "through the proxy, in-memory store");
		difference(report, "the proxy's own CPU cost (no-op store - plain)", noOp, plain, 3.0);
		Stat afterRoundTrip = stat("proxyOnNoOpStoreAfterRoundTrip",
				(iteration) -> (counter(iteration, "ourCpuNanos") - counter(iteration, "floorCpuNanos"))
						/ counter(iteration, "calls") / 1000);
		report.append(String.format(Locale.ROOT, "  %-46s %s%n", "the same, each call right after a GET",
				(afterRoundTrip != null) ? afterRoundTrip.withError() : "n/a"));
		difference(report, "in-memory store - plain", inMemory, plain, Double.NaN);
		return report.toString();
	}

	private void pair(StringBuilder report, String benchmark, String label, double target) {
		Stat ours = stat(benchmark, (iteration) -> counter(iteration, "ourNanos") / counter(iteration, "calls") / 1000);
		Stat floor = stat(benchmark,
				(iteration) -> counter(iteration, "floorNanos") / counter(iteration, "calls") / 1000);
		Stat ratio = stat(benchmark, (iteration) -> counter(iteration, "ourNanos") / counter(iteration, "floorNanos"));
		Stat ourCpu = stat(benchmark,
				(iteration) -> counter(iteration, "ourCpuNanos") / counter(iteration, "calls") / 1000);
		Stat floorCpu = stat(benchmark,
				(iteration) -> counter(iteration, "floorCpuNanos") / counter(iteration, "calls") / 1000);
		String figures = (ours == null || floor == null) ? "n/a"
				: String.format(Locale.ROOT, "%s vs %s µs", ours.value(), floor.value());
		String cpu = (ourCpu == null || floorCpu == null) ? "n/a"
				: String.format(Locale.ROOT, "%s vs %s", ourCpu.value(), floorCpu.value());
		report.append(String.format(Locale.ROOT, "  %-46s %-24s ratio %-14s cpu %-16s %s%n", label, figures,
				(ratio != null) ? ratio.withError() : "n/a", cpu, verdict(ratio, target, "<=", "x")));
	}

	private @Nullable Stat cpu(StringBuilder report, String benchmark, String label) {
		Stat cpu = stat(benchmark, (iteration) -> counter(iteration, "cpuNanos") / counter(iteration, "calls") / 1000);
		report.append(String.format(Locale.ROOT, "  %-46s %s%n", label, (cpu != null) ? cpu.withError() : "n/a"));
		return cpu;
	}

	private static void difference(StringBuilder report, String label, @Nullable Stat a, @Nullable Stat b,
			double target) {
		Stat difference = (a != null && b != null)
				? new Stat(a.mean - b.mean, Math.sqrt(a.error * a.error + b.error * b.error)) : null;
		report.append(String.format(Locale.ROOT, "  %-46s %-14s %s%n", label,
				(difference != null) ? difference.withError() : "n/a", verdict(difference, target, "<", " µs")));
	}

	private static String verdict(@Nullable Stat stat, double target, String comparison, String unit) {
		if (Double.isNaN(target)) {
			return "";
		}
		String goal = String.format(Locale.ROOT, "target %s %.2f%s", comparison, target, unit);
		if (stat == null) {
			return goal;
		}
		boolean met = comparison.equals("<") ? stat.mean < target : stat.mean <= target;
		return goal + (met ? ": met" : ": MISSED");
	}

	private @Nullable Stat stat(String benchmark, ToDoubleFunction<IterationResult> perIteration) {
		Collection<IterationResult> measured = this.iterations.get(benchmark);
		if (measured == null || measured.isEmpty()) {
			return null;
		}
		ListStatistics statistics = new ListStatistics();
		for (IterationResult iteration : measured) {
			statistics.addValue(perIteration.applyAsDouble(iteration));
		}
		return new Stat(statistics.getMean(), statistics.getMeanErrorAt(CONFIDENCE));
	}

	private static double counter(IterationResult iteration, String name) {
		Result<?> counter = iteration.getSecondaryResults().get(name);
		if (counter == null) {
			throw new IllegalStateException("Iteration without counter " + name);
		}
		return counter.getScore();
	}

	private record Stat(double mean, double error) {

		String value() {
			return String.format(Locale.ROOT, "%.2f", this.mean);
		}

		String withError() {
			return Double.isNaN(this.error) ? value()
					: String.format(Locale.ROOT, "%.2f ± %.2f", this.mean, this.error);
		}

	}

}
