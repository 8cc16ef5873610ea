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

import java.io.File;
import java.net.URISyntaxException;
import java.util.Collection;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The benchmarks jar's entry point: runs {@link IdempotencyBenchmarks} and
 * {@link ReactiveIdempotencyBenchmarks} with JMH, then prints the
 * ratios the project's performance targets are stated in ({@link BenchmarkRatios}), all from this one
 * run. Takes JMH's own options ({@code -f 3 -wi 5 -i 10}, {@code -h} for all), and writes JMH's JSON
 * results beside the jar unless told otherwise ({@code -rff}).
 */
public final class RunBenchmarks {

	private RunBenchmarks() {
	}

	public static void main(String[] args) throws Exception {
		CommandLineOptions command = new CommandLineOptions(args);
		if (command.shouldHelp() || command.shouldList() || command.shouldListWithParams()
				|| command.shouldListProfilers() || command.shouldListResultFormats()) {
			org.openjdk.jmh.Main.main(args);
			return;
		}
		ChainedOptionsBuilder options = new OptionsBuilder().parent(command);
		if (command.getIncludes().isEmpty()) {
			options.include(IdempotencyBenchmarks.class.getName() + "\\.");
			options.include(ReactiveIdempotencyBenchmarks.class.getName() + "\\.");
		}
		if (!command.getResult().hasValue()) {
			options.resultFormat(ResultFormatType.JSON).result(new File(jarDirectory(), "jmh-result.json").getPath());
		}
		Collection<RunResult> results = new Runner(options.build()).run();
		System.out.println();
		System.out.println(BenchmarkRatios.of(results).report());
	}

	private static File jarDirectory() throws URISyntaxException {
		File location = new File(RunBenchmarks.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		return location.isFile() ? location.getParentFile() : location;
	}

}
