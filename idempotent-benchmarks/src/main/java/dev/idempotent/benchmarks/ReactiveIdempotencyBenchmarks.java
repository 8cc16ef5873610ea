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

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.idempotent.benchmarks.IdempotencyBenchmarks.Keys;
import dev.idempotent.benchmarks.IdempotencyBenchmarks.Pair;
import dev.idempotent.spring.IdempotenceService;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.ReactiveValueOperations;

import static dev.idempotent.benchmarks.IdempotencyBenchmarks.ITEM;
import static dev.idempotent.benchmarks.IdempotencyBenchmarks.TTL;

/**
 * What a reactive call costs with {@code @Idempotent}, next to a plain reactive method doing the least
 * any Redis-based idempotency must, on the same connection factory; one subscriber at a time, each
 * answer awaited.
 * <ul>
 * <li>{@code monoOnRedis}: a new call of a {@code Mono} method through the proxy, against a {@code Mono}
 * that runs {@code SET NX PX}, the same work, then {@code SET PX} of its JSON through the reactive
 * template.</li>
 * <li>{@code monoDuplicate}: a duplicate of a completed call through the proxy, against a reactive
 * {@code GET} of a value as large as its stored outcome.</li>
 * </ul>
 * As in {@link IdempotencyBenchmarks}, our path and its floor are timed in turns within each iteration
 * ({@link Pair}), and {@link BenchmarkRatios} compares them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@Threads(1)
public class ReactiveIdempotencyBenchmarks {

	private static final String DUPLICATE_KEY = "duplicate";

	@Benchmark
	public void monoOnRedis(OnReactiveRedis redis, Keys keys, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.receipts.issue(keys.next("m"), ITEM).block(),
				() -> redis.floor(keys.next(redis.prefix + "raw-mono:")).block());
	}

	@Benchmark
	public void monoDuplicate(OnReactiveRedis redis, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.receipts.reissue(DUPLICATE_KEY, ITEM).block(),
				() -> redis.values.get(redis.rawDuplicateKey).block());
	}

	/** The application on Redis, its reactive template, and the records the duplicate benchmark reads. */
	@State(Scope.Benchmark)
	public static class OnReactiveRedis {

		private static final JsonMapper json = JsonMapper.builder().build();

		ConfigurableApplicationContext context;

		ReactiveReceipts receipts;

		ReactiveValueOperations<String, String> values;

		String prefix;

		String rawDuplicateKey;

		@Setup(Level.Trial)
		public void start() {
			this.prefix = "idempotent-bench-reactive-" + UUID.randomUUID() + ":";
			this.context = BenchmarkApplication.start("redis", this.prefix, TTL.toSeconds() + "s");
			this.receipts = this.context.getBean(ReactiveReceipts.class);
			this.values = this.context.getBean(ReactiveStringRedisTemplate.class).opsForValue();
			this.receipts.reissue(DUPLICATE_KEY, ITEM).block();
			String outcome = this.context.getBean(IdempotenceService.class)
				.find(ReactiveReceipts.REPLAYED_OPERATION, null, DUPLICATE_KEY)
				.orElseThrow(() -> new IllegalStateException("The first call left no record in Redis"))
				.outcome();
			this.rawDuplicateKey = this.prefix + "raw-duplicate";
			this.values.set(this.rawDuplicateKey, String.valueOf(outcome), java.time.Duration.ofHours(1)).block();
		}

		// SET NX PX, the work, SET PX of the answer: the least a new reactive call needs.
		Mono<Receipt> floor(String key) {
			return this.values.setIfAbsent(key, "claimed", TTL)
				.then(Mono.fromSupplier(() -> Receipt.issue(key, ITEM)))
				.flatMap((receipt) -> this.values.set(key, json.writeValueAsString(receipt), TTL).thenReturn(receipt));
		}

		@TearDown(Level.Trial)
		public void stop() {
			this.context.getBean(IdempotenceService.class)
				.delete(ReactiveReceipts.REPLAYED_OPERATION, null, DUPLICATE_KEY);
			this.values.delete(this.rawDuplicateKey).block();
			this.context.close();
		}

	}

}
