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
package dev.idempotent.core;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.IdempotencyEngineTest.BusinessFailure;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.FaultInjectingIdempotencyStore;
import dev.idempotent.test.ManualClock;
import org.junit.jupiter.api.Test;

import static dev.idempotent.core.IdempotencyEngineTest.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link IdempotencyEngine#executeAsync}: what the engine does for a method that returns a future,
 * where a plain method's rules do not settle it. Without a lease renewer, so nothing runs in the
 * background.
 */
class IdempotencyEngineFutureTest {

	private static final Duration LEASE = Duration.ofSeconds(5);

	private static final ExceptionPolicy KEEP_BUSINESS_FAILURES = new ExceptionPolicy(List.of(BusinessFailure.class),
			List.of());

	private final ManualClock clock = new ManualClock();

	private final FaultInjectingIdempotencyStore store = new FaultInjectingIdempotencyStore(
			new InMemoryIdempotencyStore(this.clock));

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final IdempotencyEngine engine = IdempotencyEngine.builder(this.store)
		.keys(new IdempotencyKeys("idem:", 255))
		.clock(this.clock)
		.listener(new IdempotencyListener() {

			@Override
			public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
				IdempotencyEngineFutureTest.this.events.add(call.key() + "=" + outcome.value());
			}

			@Override
			public void onCompletionFailed(IdempotencyCall call) {
				IdempotencyEngineFutureTest.this.events.add(call.key() + "=late_completion_failed");
			}

		})
		.build();

	private final AtomicInteger executions = new AtomicInteger();

	@Test
	void theCallIsToldExecutedWhenTheMethodHandsOverItsFutureAndTheCallerWaitsForTheStoredOutcome()
			throws Throwable {
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1"), TEXT, () -> {
			this.executions.incrementAndGet();
			return work;
		});
		assertThat(execution.replayed()).isFalse();
		assertThat(this.events).as("told while the caller's observation is open").containsExactly("k1=executed");
		assertThat(execution.value()).isNotDone();
		assertThat(state("k1")).isEqualTo(RecordState.IN_PROGRESS);
		work.complete("done");
		assertThat(execution.value()).isCompletedWithValue("done");
		assertThat(state("k1")).isEqualTo(RecordState.COMPLETED);
		Execution<CompletableFuture<String>> replay = this.engine.executeAsync(call("k1"), TEXT, () -> {
			this.executions.incrementAndGet();
			return work;
		});
		assertThat(replay.replayed()).isTrue();
		assertThat(replay.value()).isCompletedWithValue("done");
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void aFailedCompletionHoldsTheCompletingThreadForOneStoreCallNotForTheLease() throws Throwable {
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1"), TEXT, () -> work);
		this.store.failingCompletions(true);
		int callsBefore = this.store.calls();
		long started = System.nanoTime();
		work.complete("done");
		// A plain call would retry here, backing off, for as long as its 5 s lease holds.
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
		assertThat(this.store.calls() - callsBefore).as("one attempt to store the outcome").isEqualTo(1);
		assertThat(execution.value()).as("the caller still gets its value").isCompletedWithValue("done");
		assertThat(this.events).containsExactly("k1=executed", "k1=late_completion_failed");
		assertThat(state("k1")).as("the claim lapses with its lease").isEqualTo(RecordState.IN_PROGRESS);
	}

	@Test
	void aCompletionExceptionIsUnwrappedAndItsKeptCauseReplayed() throws Throwable {
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(
				call("k1", KEEP_BUSINESS_FAILURES), TEXT,
				() -> CompletableFuture.supplyAsync(() -> {
					throw new BusinessFailure("declined");
				}));
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> execution.value().get(10, TimeUnit.SECONDS))
			.withCauseExactlyInstanceOf(BusinessFailure.class)
			.havingCause()
			.withMessage("declined");
		assertThat(state("k1")).isEqualTo(RecordState.COMPLETED);
		Execution<CompletableFuture<String>> replay = this.engine.executeAsync(call("k1", KEEP_BUSINESS_FAILURES),
				TEXT, () -> CompletableFuture.completedFuture("never"));
		assertThat(replay.replayed()).isTrue();
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> replay.value().get())
			.withCauseExactlyInstanceOf(BusinessFailure.class);
	}

	@Test
	void aMethodThrowingInsteadOfReturningAFutureThrowsAtOnceAndReleasesTheKey() throws Throwable {
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> this.engine.executeAsync(call("k1"), TEXT, () -> {
				this.executions.incrementAndGet();
				throw new IllegalStateException("no connection");
			}))
			.withMessage("no connection");
		assertThat(this.store.find(storageKey("k1"))).as("released").isEmpty();
		Execution<CompletableFuture<String>> retry = this.engine.executeAsync(call("k1"), TEXT, () -> {
			this.executions.incrementAndGet();
			return CompletableFuture.completedFuture("second");
		});
		assertThat(retry.value()).isCompletedWithValue("second");
		assertThat(this.executions).hasValue(2);
	}

	@Test
	void aMethodReturningNoFutureIsCompletedWithNull() throws Throwable {
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1"), TEXT, () -> null);
		assertThat(execution.value()).isNull();
		assertThat(state("k1")).isEqualTo(RecordState.COMPLETED);
		assertThat(this.engine.executeAsync(call("k1"), TEXT, () -> null).value()).isCompletedWithValue(null);
	}

	@Test
	void aReleaseDuringTheMethodIsCarriedOutWhenItsFutureCompletes() throws Throwable {
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1"), TEXT, () -> {
			this.engine.releaseFromCall("k1");
			return work;
		});
		work.complete("done");
		assertThat(execution.value()).isCompletedWithValue("done");
		assertThat(this.store.find(storageKey("k1"))).as("not completed: a retry runs").isEmpty();
	}

	private RecordState state(String key) {
		return this.store.find(storageKey(key)).orElseThrow().state();
	}

	private static IdempotencyCall call(String key) {
		return call(key, ExceptionPolicy.RELEASE_ALL);
	}

	private static IdempotencyCall call(String key, ExceptionPolicy exceptions) {
		return new IdempotencyCall("orders", key, "alice", null, null,
				new IdempotencyPolicy(DuplicatePolicy.REPLAY, LEASE, Duration.ofHours(1), Duration.ZERO, exceptions));
	}

	private static String storageKey(String key) {
		return new IdempotencyKeys("idem:", 255).storageKey("orders", "alice", key);
	}

}
