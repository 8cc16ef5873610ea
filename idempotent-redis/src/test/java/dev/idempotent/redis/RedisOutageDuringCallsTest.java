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
package dev.idempotent.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.IdempotencyLease;
import dev.idempotent.core.IdempotencyListener;
import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.LeaseRenewer;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.FaultInjectingIdempotencyStore;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static dev.idempotent.redis.TextOutcomes.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Calls running while Redis goes away: completions that fail are stored once Redis is back (the
 * call never runs twice), a lease that lapses while Redis hangs is told to the running call, and a
 * renewal stuck on the store holds up no other call's. Real Redis servers, killed or held up.
 */
class RedisOutageDuringCallsTest {

	private final String prefix = "outage-" + UUID.randomUUID() + ":";

	private final List<AutoCloseable> resources = new ArrayList<>();

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final AtomicInteger executions = new AtomicInteger();

	@AfterEach
	void close() throws Throwable {
		List<AutoCloseable> lastFirst = new ArrayList<>(this.resources);
		Collections.reverse(lastFirst);
		for (AutoCloseable resource : lastFirst) {
			resource.close();
		}
	}

	@Test
	void completionsThatFailWhileRedisIsKilledAreStoredOnceItIsBackAndNoCallRunsTwice() throws Throwable {
		RedisProcesses.Standalone redis = own(new RedisProcesses.Standalone("--appendonly", "yes", "--appendfsync",
				"always"));
		CountingStore store = new CountingStore(new RedisIdempotencyStore(connect(redis.port())));
		IdempotencyEngine engine = engine(store);
		int calls = 20;
		CountDownLatch running = new CountDownLatch(calls);
		CountDownLatch finish = new CountDownLatch(1);
		ExecutorService threads = Executors.newFixedThreadPool(calls);
		this.resources.add(threads::shutdownNow);
		List<Future<Execution<String>>> first = new ArrayList<>();
		for (int i = 0; i < calls; i++) {
			String key = "order-" + i;
			first.add(threads.submit(() -> execute(engine, call(key, Duration.ofSeconds(10)), () -> {
				this.executions.incrementAndGet();
				running.countDown();
				finish.await();
				return key;
			})));
		}
		assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

		redis.stop(redis.port());
		finish.countDown();
		Poll.until("every completion failed at least once", () -> store.failedCompletions.get() >= calls);
		redis.restart(redis.port());

		for (int i = 0; i < calls; i++) {
			Execution<String> execution = first.get(i).get(60, TimeUnit.SECONDS);
			assertThat(execution.replayed()).isFalse();
			assertThat(execution.value()).isEqualTo("order-" + i);
		}
		// The callers were answered at once; their completions are retried in the background.
		Poll.until("every completion is stored now that Redis is back", () -> IntStream.range(0, calls)
			.allMatch((i) -> store.find(storageKey("order-" + i))
				.filter((record) -> record.state() == RecordState.COMPLETED)
				.isPresent()));
		for (int i = 0; i < calls; i++) {
			String key = "order-" + i;
			assertThat(store.find(storageKey(key))).as(key)
				.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
			Execution<String> retry = engine.execute(call(key, Duration.ofSeconds(10)), TEXT, () -> "ran again");
			assertThat(retry.replayed()).as("the retry of %s is a replay", key).isTrue();
			assertThat(retry.value()).isEqualTo(key);
		}
		assertThat(this.executions).hasValue(calls);
		assertThat(this.events).filteredOn((event) -> event.endsWith("=executed")).hasSize(calls);
		assertThat(this.events).noneMatch((event) -> event.contains("completion_failed") || event.contains("lost"));
	}

	@Test
	void aLeaseThatLapsesWhileRedisHangsIsToldToTheRunningCall() throws Throwable {
		TcpProxy proxy = own(new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port()));
		IdempotencyStore store = new RedisIdempotencyStore(connect(proxy.port()));
		IdempotencyEngine engine = engine(store);
		IdempotencyStore direct = new RedisIdempotencyStore(connect(TestRedis.endpoint().port()));
		Duration lease = Duration.ofMillis(1500);
		AtomicReference<IdempotencyLease> firstLease = new AtomicReference<>();
		List<Boolean> held = new ArrayList<>();
		Execution<String> first = engine.execute(call("hung", lease), TEXT, () -> {
			IdempotencyLease own = engine.currentLease().orElseThrow();
			firstLease.set(own);
			held.add(own.isHeld());
			proxy.pause();
			Poll.until("the lease lapses while Redis hangs", () -> !own.isHeld());
			held.add(own.isHeld());
			Poll.until("Redis drops the claim", () -> direct.find(storageKey("hung")).isEmpty());
			proxy.resume();
			return "first";
		});
		assertThat(first.value()).isEqualTo("first");
		assertThat(held).containsExactly(true, false);
		// The renewer tells the lapse from its own thread, which may still sit in a renewal Redis never
		// answered when the call returns: both are told, in either order.
		Poll.until("the lapse and the lost completion are told",
				() -> this.events.containsAll(List.of("hung=lease_lost", "hung=completion_failed")));
		assertThat(this.events).containsExactlyInAnyOrder("hung=lease_lost", "hung=completion_failed");
		assertThat(firstLease.get().isHeld()).isFalse();
	}

	@Test
	void aRenewalStuckOnTheStoreHoldsUpNoOtherCall() throws Throwable {
		FaultInjectingIdempotencyStore store = new FaultInjectingIdempotencyStore(
				new RedisIdempotencyStore(connect(TestRedis.endpoint().port())));
		this.resources.add(store::releaseHeldExtensions);
		store.holdExtensions((storageKey) -> storageKey.equals(storageKey("stuck")));
		IdempotencyEngine engine = engine(store);
		Duration lease = Duration.ofMillis(900);
		CountDownLatch stuckRunning = new CountDownLatch(1);
		CountDownLatch finishStuck = new CountDownLatch(1);
		ExecutorService threads = Executors.newSingleThreadExecutor();
		this.resources.add(threads::shutdownNow);
		Future<Execution<String>> stuck = threads.submit(() -> execute(engine, call("stuck", lease), () -> {
			stuckRunning.countDown();
			finishStuck.await();
			return "late";
		}));
		assertThat(stuckRunning.await(30, TimeUnit.SECONDS)).isTrue();
		engine.execute(call("healthy", lease), TEXT, () -> {
			IdempotencyLease own = engine.currentLease().orElseThrow();
			store.extensions().drainPermits();
			// Renewed again and again while the other call's renewal hangs on the store.
			assertThat(store.extensions().tryAcquire(4, 30, TimeUnit.SECONDS)).isTrue();
			Poll.until("the stuck call's lease lapses", () -> this.events.contains("stuck=lease_lost"));
			assertThat(own.isHeld()).isTrue();
			assertThatExceptionOfType(RequestInProgressException.class).as("a duplicate waits for it")
				.isThrownBy(() -> engine.execute(call("healthy", lease), TEXT, () -> "twice"));
			return "on time";
		});
		assertThat(this.events).contains("healthy=executed", "stuck=lease_lost").doesNotContain("healthy=lease_lost");
		finishStuck.countDown();
		store.releaseHeldExtensions();
		stuck.get(30, TimeUnit.SECONDS);
	}

	private static Execution<String> execute(IdempotencyEngine engine, IdempotencyCall call,
			IdempotencyEngine.Invocation<String> invocation) throws Exception {
		try {
			return engine.execute(call, TEXT, invocation);
		}
		catch (Exception | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException(ex);
		}
	}

	private IdempotencyEngine engine(IdempotencyStore store) {
		LeaseRenewer renewer = own(new LeaseRenewer());
		return IdempotencyEngine.builder(store)
			.keys(new IdempotencyKeys(this.prefix, 255))
			.leaseRenewer(renewer)
			.listener(new IdempotencyListener() {

				@Override
				public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
					RedisOutageDuringCallsTest.this.events.add(call.key() + "=" + outcome.value());
				}

				@Override
				public void onLeaseLost(IdempotencyCall call) {
					RedisOutageDuringCallsTest.this.events.add(call.key() + "=lease_lost");
				}

			})
			.build();
	}

	private LettuceConnectionFactory connect(int port) {
		// Commands time out quickly, as the store's own timeout would make them.
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(TestRedis.endpoint().host(), port),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofMillis(300)).build());
		factory.afterPropertiesSet();
		factory.start();
		this.resources.add(factory::destroy);
		return factory;
	}

	private <T extends AutoCloseable> T own(T resource) {
		this.resources.add(resource);
		return resource;
	}

	private static IdempotencyCall call(String key, Duration lease) {
		return new IdempotencyCall("orders", key, null, null, null,
				IdempotencyPolicy.of(DuplicatePolicy.REPLAY, lease, Duration.ofMinutes(5)));
	}

	private String storageKey(String key) {
		return new IdempotencyKeys(this.prefix, 255).storageKey("orders", null, key);
	}

	/** A store that counts the completions that failed. */
	private static final class CountingStore implements IdempotencyStore {

		final AtomicInteger failedCompletions = new AtomicInteger();

		private final IdempotencyStore delegate;

		CountingStore(IdempotencyStore delegate) {
			this.delegate = delegate;
		}

		@Override
		public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
			return this.delegate.tryClaim(key, owner, fingerprint, lease);
		}

		@Override
		public boolean complete(String key, String owner, String outcome, Duration retention) {
			try {
				return this.delegate.complete(key, owner, outcome, retention);
			}
			catch (RuntimeException ex) {
				this.failedCompletions.incrementAndGet();
				throw ex;
			}
		}

		@Override
		public boolean release(String key, String owner) {
			return this.delegate.release(key, owner);
		}

		@Override
		public boolean extend(String key, String owner, Duration lease) {
			return this.delegate.extend(key, owner, lease);
		}

		@Override
		public boolean delete(String key) {
			return this.delegate.delete(key);
		}

		@Override
		public Optional<IdempotencyRecord> find(String key) {
			return this.delegate.find(key);
		}

	}

}
