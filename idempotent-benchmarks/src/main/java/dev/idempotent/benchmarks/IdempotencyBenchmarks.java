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

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.spring.IdempotenceService;
import org.openjdk.jmh.annotations.AuxCounters;
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

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.ValueOperations;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a call costs with {@code @Idempotent}, next to the least it could cost; one thread.
 * <ul>
 * <li>{@code claimAndComplete}: {@link RedisIdempotencyStore} claim then complete, against raw Spring
 * Data Redis {@code SET NX PX} then {@code SET PX}, the two round trips a claim and a completion
 * need.</li>
 * <li>{@code storeDuplicate}: the store's claim of a completed key, against one raw {@code GET} of a
 * value as large as its outcome, the least a duplicate needs.</li>
 * <li>{@code proxyDuplicate}: a duplicate call through the proxy, replayed from Redis, against that
 * {@code GET}.</li>
 * <li>{@code proxyDuplicateAgainstDecodedGet}: the same duplicate against a duplicate answered by hand:
 * a {@code GET} of the returned record's JSON, read into the record with the application's mapper.</li>
 * <li>{@code proxyOnRedis}: a new call through the proxy on Redis, against {@code SET NX PX} then
 * {@code SET PX}.</li>
 * <li>{@code proxyOnNoOpStore}, {@code proxyOnInMemory}, {@code plainMethod}: the annotated method on a
 * store that stores nothing and on the in-memory store, and the same method without the annotation,
 * each with the calling thread's CPU time.</li>
 * <li>{@code proxyOnNoOpStoreAfterRoundTrip}: the annotated method on the no-op store against the plain
 * method, each right after a {@code GET}, timed in turns; the difference of their CPU times is the
 * proxy's own when a round trip comes before it, as it does on Redis.</li>
 * </ul>
 * Round trips on loopback dominate the Redis benchmarks, and a busy machine slows them by different
 * amounts from one minute to the next, so each one times our path and its floor in turns within the
 * same iterations ({@link Pair}); {@link BenchmarkRatios} compares them. Every key starts with a
 * prefix of its own run and lives seconds; nothing else in Redis is touched.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@Threads(1)
public class IdempotencyBenchmarks {

	static final Item ITEM = new Item("book", 2);

	// How long the records of the new-key benchmarks live. Each lives past its own call only to be
	// realistic; short, so that a run at full speed holds few of them at a time.
	static final Duration TTL = Duration.ofSeconds(10);

	private static final String DUPLICATE_KEY = "duplicate";

	// Each Redis benchmark times our path and its floor in turns, in the same iteration, so that a
	// machine busy with something else slows both alike; the report compares them iteration by iteration.

	@Benchmark
	public void claimAndComplete(OnRedis redis, Keys keys, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> storeClaimAndComplete(redis, keys.next(redis.prefix + "store:")),
				() -> rawSetNxThenSet(redis, keys.next(redis.prefix + "raw:")));
	}

	@Benchmark
	public void storeDuplicate(OnRedis redis, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.store.tryClaim(redis.storeDuplicateKey, redis.owner, redis.fingerprint, TTL),
				() -> redis.values.get(redis.rawDuplicateKey));
	}

	@Benchmark
	public void proxyDuplicate(OnRedis redis, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.receipts.reissue(DUPLICATE_KEY, ITEM),
				() -> redis.values.get(redis.rawDuplicateKey));
	}

	@Benchmark
	public void proxyDuplicateAgainstDecodedGet(OnRedis redis, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.receipts.reissue(DUPLICATE_KEY, ITEM),
				() -> redis.json.readValue(redis.values.get(redis.rawReceiptKey), Receipt.class));
	}

	@Benchmark
	public void proxyDuplicateNearCache(OnRedisWithNearCache redis, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.receipts.reissue(DUPLICATE_KEY, ITEM),
				() -> redis.values.get(redis.rawDuplicateKey));
	}

	@Benchmark
	public void proxyOnRedis(OnRedis redis, Keys keys, Pair pair, Blackhole blackhole) {
		pair.time(blackhole, () -> redis.receipts.issue(keys.next("k"), ITEM),
				() -> rawSetNxThenSet(redis, keys.next(redis.prefix + "raw:")));
	}

	// The proxy's own work as it runs on Redis, right after a round trip: the annotated method on the no-op
	// store and the plain method, each after the same GET, so that the difference of their CPU times is
	// the proxy's when a wait for Redis has just handed the core to other threads.
	@Benchmark
	public void proxyOnNoOpStoreAfterRoundTrip(NoOpStore noOp, OnRedis redis, Keys keys, Pair pair,
			Blackhole blackhole) {
		pair.time(blackhole, () -> afterRoundTrip(redis, blackhole, () -> noOp.receipts.issue(keys.next("k"), ITEM)),
				() -> afterRoundTrip(redis, blackhole, () -> noOp.plain.issue(keys.next("k"), ITEM)));
	}

	private static Receipt afterRoundTrip(OnRedis redis, Blackhole blackhole, Supplier<Receipt> call) {
		blackhole.consume(redis.values.get(redis.rawDuplicateKey));
		return call.get();
	}

	private static boolean storeClaimAndComplete(OnRedis redis, String key) {
		ClaimResult claim = redis.store.tryClaim(key, redis.owner, redis.fingerprint, TTL);
		return claim.isAcquired() && redis.store.complete(key, redis.owner, redis.outcome, TTL);
	}

	private static boolean rawSetNxThenSet(OnRedis redis, String key) {
		redis.values.setIfAbsent(key, redis.owner, TTL);
		redis.values.set(key, redis.outcome, TTL);
		return true;
	}

	// The in-process benchmarks count the calling thread's CPU time as well as the time per call.

	@Benchmark
	public Receipt plainMethod(NoOpStore noOp, Keys keys, CpuTime cpu) {
		cpu.calls++;
		return noOp.plain.issue(keys.next("k"), ITEM);
	}

	@Benchmark
	public Receipt proxyOnNoOpStore(NoOpStore noOp, Keys keys, CpuTime cpu) {
		cpu.calls++;
		return noOp.receipts.issue(keys.next("k"), ITEM);
	}

	@Benchmark
	public Receipt proxyOnInMemory(InMemory memory, Keys keys, CpuTime cpu) {
		cpu.calls++;
		return memory.receipts.issue(keys.next("k"), ITEM);
	}

	/**
	 * The nanoseconds spent on our path and on its floor over one iteration, timed in turns (which
	 * goes first alternates, so neither always meets a cold connection), and the calling thread's CPU
	 * time on each: the time a call takes includes waits for a core on a shared machine, its CPU time
	 * is what the calling thread did.
	 */
	@State(Scope.Thread)
	@AuxCounters(AuxCounters.Type.EVENTS)
	public static class Pair {

		private static final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

		public long ourNanos;

		public long floorNanos;

		public long ourCpuNanos;

		public long floorCpuNanos;

		public long calls;

		private boolean ourFirst;

		@Setup(Level.Iteration)
		public void clear() {
			this.ourNanos = 0;
			this.floorNanos = 0;
			this.ourCpuNanos = 0;
			this.floorCpuNanos = 0;
			this.calls = 0;
		}

		void time(Blackhole blackhole, Supplier<?> ours, Supplier<?> floor) {
			long startCpu = threads.getCurrentThreadCpuTime();
			long start = System.nanoTime();
			blackhole.consume(this.ourFirst ? ours.get() : floor.get());
			long middle = System.nanoTime();
			long middleCpu = threads.getCurrentThreadCpuTime();
			blackhole.consume(this.ourFirst ? floor.get() : ours.get());
			long end = System.nanoTime();
			long endCpu = threads.getCurrentThreadCpuTime();
			this.ourNanos += this.ourFirst ? middle - start : end - middle;
			this.floorNanos += this.ourFirst ? end - middle : middle - start;
			this.ourCpuNanos += this.ourFirst ? middleCpu - startCpu : endCpu - middleCpu;
			this.floorCpuNanos += this.ourFirst ? endCpu - middleCpu : middleCpu - startCpu;
			this.ourFirst = !this.ourFirst;
			this.calls++;
		}

	}

	/**
	 * The calling thread's CPU time over one iteration and the calls it made: unlike the time per
	 * call, CPU time does not grow while other processes hold the machine's cores.
	 */
	@State(Scope.Thread)
	@AuxCounters(AuxCounters.Type.EVENTS)
	public static class CpuTime {

		private static final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

		public long cpuNanos;

		public long calls;

		private long start;

		@Setup(Level.Iteration)
		public void start() {
			this.calls = 0;
			this.cpuNanos = 0;
			this.start = threads.getCurrentThreadCpuTime();
		}

		@TearDown(Level.Iteration)
		public void stop() {
			this.cpuNanos = threads.getCurrentThreadCpuTime() - this.start;
		}

	}

	/** New keys for one thread. */
	@State(Scope.Thread)
	public static class Keys {

		private long next;

		String next(String prefix) {
			return prefix + (this.next++);
		}

	}

	/** The application on Redis, and the records the duplicate benchmarks read. */
	@State(Scope.Benchmark)
	public static class OnRedis {

		ConfigurableApplicationContext context;

		IdempotentReceipts receipts;

		ValueOperations<String, String> values;

		IdempotencyStore store;

		String prefix;

		String owner;

		String fingerprint;

		String outcome;

		String rawDuplicateKey;

		String rawReceiptKey;

		JsonMapper json;

		String storeDuplicateKey;

		// The store the application starts on.
		String storeName() {
			return "redis";
		}

		@Setup(Level.Trial)
		public void start() {
			this.prefix = "idempotent-bench-" + UUID.randomUUID() + ":";
			this.context = BenchmarkApplication.start(storeName(), this.prefix, TTL.toSeconds() + "s");
			this.receipts = this.context.getBean(IdempotentReceipts.class);
			this.values = this.context.getBean(StringRedisTemplate.class).opsForValue();
			this.store = this.context.getBean(IdempotencyStore.class);
			if (!(this.store instanceof RedisIdempotencyStore)) {
				throw new IllegalStateException("Expected the Redis store, got " + this.store);
			}
			// A real call's record: its fingerprint and outcome give the raw benchmarks the same sizes.
			this.receipts.reissue(DUPLICATE_KEY, ITEM);
			IdempotencyRecord completed = this.context.getBean(IdempotenceService.class)
				.find(IdempotentReceipts.REPLAYED_OPERATION, null, DUPLICATE_KEY)
				.orElseThrow(() -> new IllegalStateException("The first call left no record in Redis"));
			this.owner = completed.owner();
			this.fingerprint = Objects.requireNonNull(completed.fingerprint(), "fingerprint");
			this.outcome = Objects.requireNonNull(completed.outcome(), "outcome");
			this.rawDuplicateKey = this.prefix + "raw-duplicate";
			this.values.set(this.rawDuplicateKey, this.outcome, Duration.ofHours(1));
			// A duplicate answered by hand: the returned record's JSON, kept under a key of its own.
			this.json = this.context.getBean(JsonMapper.class);
			this.rawReceiptKey = this.prefix + "raw-receipt";
			this.values.set(this.rawReceiptKey, this.json.writeValueAsString(Receipt.issue(DUPLICATE_KEY, ITEM)),
					Duration.ofHours(1));
			this.storeDuplicateKey = completed.key();
		}

		@TearDown(Level.Trial)
		public void stop() {
			this.context.getBean(IdempotenceService.class)
				.delete(IdempotentReceipts.REPLAYED_OPERATION, null, DUPLICATE_KEY);
			this.context.getBean(StringRedisTemplate.class).delete(List.of(this.rawDuplicateKey, this.rawReceiptKey));
			this.context.close();
		}

	}

	/**
	 * The application on Redis with its near-cache on: a retry storm's duplicates, after the second,
	 * are answered in the process.
	 */
	@State(Scope.Benchmark)
	public static class OnRedisWithNearCache extends OnRedis {

		@Override
		String storeName() {
			return "redis-near-cache";
		}

	}

	/**
	 * The application on a store in this process. A retention of one second: at a few hundred
	 * thousand calls a second, a longer one would fill the in-memory store's heap.
	 */
	public abstract static class InProcess {

		ConfigurableApplicationContext context;

		IdempotentReceipts receipts;

		PlainReceipts plain;

		abstract String store();

		@Setup(Level.Trial)
		public void start() {
			this.context = BenchmarkApplication.start(store(), "idempotent-bench:", "1s");
			this.receipts = this.context.getBean(IdempotentReceipts.class);
			this.plain = this.context.getBean(PlainReceipts.class);
		}

		@TearDown(Level.Trial)
		public void stop() {
			this.context.close();
		}

	}

	/** The application on the in-memory store. */
	@State(Scope.Benchmark)
	public static class InMemory extends InProcess {

		@Override
		String store() {
			return "in-memory";
		}

	}

	/** The application on a store that stores nothing, and the plain method. */
	@State(Scope.Benchmark)
	public static class NoOpStore extends InProcess {

		@Override
		String store() {
			return "no-op";
		}

	}

}
