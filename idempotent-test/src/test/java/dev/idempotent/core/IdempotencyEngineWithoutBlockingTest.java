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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.ManualClock;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.idempotent.core.IdempotencyEngineTest.TEXT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * With a store that {@linkplain IdempotencyStore#writesWithoutBlocking() writes without blocking}, the
 * outcome of a call that returned a future is stored, and leases are renewed, with no thread waiting
 * for the store's answer. The store here answers each write only when the test says so, so a thread
 * that waited for it would never come back.
 */
class IdempotencyEngineWithoutBlockingTest {

	private static final Duration LEASE = Duration.ofSeconds(5);

	private final ManualClock clock = new ManualClock();

	private final AnsweredByHandStore store = new AnsweredByHandStore(new InMemoryIdempotencyStore(this.clock));

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final Semaphore leasesLost = new Semaphore(0);

	private final LeaseRenewer renewer = new LeaseRenewer(Duration.ofMillis(10));

	private final IdempotencyEngine engine = IdempotencyEngine.builder(this.store)
		.keys(new IdempotencyKeys("idem:", 255))
		.clock(this.clock)
		.leaseRenewer(this.renewer)
		.listener(new IdempotencyListener() {

			@Override
			public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
			}

			@Override
			public void onCompletionFailed(IdempotencyCall call) {
				IdempotencyEngineWithoutBlockingTest.this.events.add(call.key() + "=completion_failed");
			}

			@Override
			public void onLeaseLost(IdempotencyCall call) {
				IdempotencyEngineWithoutBlockingTest.this.events.add(call.key() + "=lease_lost");
				IdempotencyEngineWithoutBlockingTest.this.leasesLost.release();
			}

		})
		.build();

	@AfterEach
	void closeRenewer() {
		this.renewer.close();
	}

	@Test
	void theThreadThatCompletesTheFutureIsFreeBeforeTheStoreAnswers() throws Throwable {
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1", LEASE), TEXT, () -> work,
				Runnable::run);
		// Returns although the store has not answered: nothing on this thread waits for it.
		work.complete("done");
		Write complete = this.store.next("complete");
		assertThat(execution.value()).as("the caller's answer waits for the stored outcome").isNotDone();
		assertThat(state("k1")).isEqualTo(RecordState.IN_PROGRESS);
		complete.apply();
		assertThat(execution.value()).isCompletedWithValue("done");
		assertThat(state("k1")).isEqualTo(RecordState.COMPLETED);
		Execution<CompletableFuture<String>> replay = this.engine.executeAsync(call("k1", LEASE), TEXT,
				() -> CompletableFuture.completedFuture("ran again"));
		assertThat(replay.replayed()).isTrue();
		assertThat(replay.value()).isCompletedWithValue("done");
		assertThat(this.events).isEmpty();
	}

	@Test
	void withoutAnExecutorTheCallersFutureCompletesOnTheThreadThatCompletesTheMethods() throws Throwable {
		// What a caller chains on a CompletableFuture must not end up on a store client's I/O thread.
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1", LEASE), TEXT, () -> work);
		AtomicReference<Thread> chained = new AtomicReference<>();
		CompletableFuture<String> next = execution.value().thenApply((value) -> {
			chained.set(Thread.currentThread());
			return value;
		});
		work.complete("done");
		assertThat(next).isCompletedWithValue("done");
		assertThat(chained.get()).isSameAs(Thread.currentThread());
		assertThat(state("k1")).isEqualTo(RecordState.COMPLETED);
		assertThat(this.store.writes).as("no write without blocking was asked for").isEmpty();
	}

	@Test
	void aFailureThatReleasesTheKeyIsReleasedWithoutBlocking() throws Throwable {
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1", LEASE), TEXT, () -> work,
				Runnable::run);
		IllegalStateException failure = new IllegalStateException("downstream timed out");
		work.completeExceptionally(failure);
		Write release = this.store.next("release");
		assertThat(execution.value()).isNotDone();
		release.apply();
		assertThat(execution.value()).failsWithin(Duration.ZERO)
			.withThrowableOfType(ExecutionException.class)
			.withCause(failure);
		assertThat(this.store.find(storageKey("k1"))).as("a retry may run").isEmpty();
	}

	@Test
	void aFirstWriteThatFailsIsRetriedInTheBackgroundAndTheCallerHasItsAnswerAtOnce() throws Throwable {
		CompletableFuture<String> work = new CompletableFuture<>();
		Execution<CompletableFuture<String>> execution = this.engine.executeAsync(call("k1", LEASE), TEXT, () -> work,
				Runnable::run);
		work.complete("done");
		this.store.next("complete").fail(new IllegalStateException("Redis did not answer within 2000 ms"));
		assertThat(execution.value()).isCompletedWithValue("done");
		assertThat(this.store.blockingCompletions.tryAcquire(30, TimeUnit.SECONDS))
			.as("the renewer retries while the lease holds")
			.isTrue();
		assertThat(state("k1")).isEqualTo(RecordState.COMPLETED);
		assertThat(this.events).isEmpty();
	}

	@Test
	void moreRenewalsAreInFlightThanTheRenewerHasThreads() throws Throwable {
		// The renewer runs at most 64 renewals at once on its threads: a renewal that held its thread
		// until the store answered would leave the 65th call unrenewed.
		int calls = 100;
		Duration lease = Duration.ofMillis(600);
		CompletableFuture<String> work = new CompletableFuture<>();
		List<Execution<CompletableFuture<String>>> executions = new CopyOnWriteArrayList<>();
		for (int i = 0; i < calls; i++) {
			executions.add(this.engine.executeAsync(call("k" + i, lease), TEXT, () -> work, Runnable::run));
		}
		Set<String> renewing = new HashSet<>();
		List<Write> unanswered = new CopyOnWriteArrayList<>();
		while (renewing.size() < calls) {
			Write extend = this.store.next("extend");
			renewing.add(extend.key());
			unanswered.add(extend);
		}
		for (Write extend : unanswered) {
			extend.apply();
		}
		work.complete("done");
		for (int i = 0; i < calls; i++) {
			this.store.next("complete").apply();
		}
		for (Execution<CompletableFuture<String>> execution : executions) {
			assertThat(execution.value().get(30, TimeUnit.SECONDS)).isEqualTo("done");
		}
	}

	@Test
	void aRenewalThatFindsTheClaimGoneTellsTheLeaseLost() throws Throwable {
		AtomicReference<IdempotencyLease> lease = new AtomicReference<>();
		CompletableFuture<String> work = new CompletableFuture<>();
		this.engine.executeAsync(call("k1", Duration.ofMillis(600)), TEXT, () -> {
			lease.set(this.engine.currentLease().orElseThrow());
			return work;
		});
		this.store.delete(storageKey("k1"));
		this.store.next("extend").apply();
		// Told where the store's answer is read: on this thread, or on the renewer's if it read it late.
		assertThat(this.leasesLost.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
		assertThat(lease.get().isHeld()).isFalse();
		assertThat(this.events).containsExactly("k1=lease_lost");
		work.complete("done");
	}

	private RecordState state(String key) {
		return this.store.find(storageKey(key)).map(IdempotencyRecord::state).orElse(null);
	}

	private static IdempotencyCall call(String key, Duration lease) {
		return new IdempotencyCall("orders", key, "alice", null, null,
				new IdempotencyPolicy(DuplicatePolicy.REPLAY, lease, Duration.ofHours(1), Duration.ZERO,
						ExceptionPolicy.RELEASE_ALL));
	}

	private static String storageKey(String key) {
		return new IdempotencyKeys("idem:", 255).storageKey("orders", "alice", key);
	}

	/** A write the store has been asked for, answered when the test says so. */
	record Write(String kind, String key, BooleanSupplier write, CompletableFuture<Boolean> answer) {

		void apply() {
			this.answer.complete(this.write.getAsBoolean());
		}

		void fail(RuntimeException failure) {
			this.answer.completeExceptionally(failure);
		}

	}

	/** The in-memory store, whose writes without blocking wait in a queue for the test to answer them. */
	static final class AnsweredByHandStore implements IdempotencyStore {

		private final IdempotencyStore delegate;

		private final BlockingQueue<Write> writes = new LinkedBlockingQueue<>();

		final Semaphore blockingCompletions = new Semaphore(0);

		AnsweredByHandStore(IdempotencyStore delegate) {
			this.delegate = delegate;
		}

		// The next write of the kind; earlier ones of other kinds (renewals, say) are answered on the way.
		Write next(String kind) throws InterruptedException {
			while (true) {
				Write write = this.writes.poll(30, TimeUnit.SECONDS);
				assertThat(write).as("a " + kind + " was asked for").isNotNull();
				if (write.kind().equals(kind)) {
					return write;
				}
				write.apply();
			}
		}

		private CompletionStage<Boolean> ask(String kind, String key, BooleanSupplier write) {
			Write asked = new Write(kind, key, write, new CompletableFuture<>());
			this.writes.add(asked);
			return asked.answer();
		}

		@Override
		public boolean writesWithoutBlocking() {
			return true;
		}

		@Override
		public CompletionStage<Boolean> completeAsync(String key, String owner, String outcome, Duration retention) {
			return ask("complete", key, () -> this.delegate.complete(key, owner, outcome, retention));
		}

		@Override
		public CompletionStage<Boolean> releaseAsync(String key, String owner) {
			return ask("release", key, () -> this.delegate.release(key, owner));
		}

		@Override
		public CompletionStage<Boolean> extendAsync(String key, String owner, Duration lease) {
			return ask("extend", key, () -> this.delegate.extend(key, owner, lease));
		}

		@Override
		public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
			return this.delegate.tryClaim(key, owner, fingerprint, lease);
		}

		@Override
		public boolean complete(String key, String owner, String outcome, Duration retention) {
			boolean completed = this.delegate.complete(key, owner, outcome, retention);
			this.blockingCompletions.release();
			return completed;
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
