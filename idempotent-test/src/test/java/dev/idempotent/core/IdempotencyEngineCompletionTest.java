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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import dev.idempotent.core.IdempotencyEngineTest.BusinessFailure;
import dev.idempotent.core.TransactionBoundary.TransactionEnd;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.FaultInjectingIdempotencyStore;
import dev.idempotent.test.ManualClock;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static dev.idempotent.core.IdempotencyEngineTest.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * What happens to a claim once its call is over: a completion the store refused is retried while the
 * lease holds, a call in a transaction is completed or released once the transaction ended, and a
 * lease that lapses is told to the running call.
 */
class IdempotencyEngineCompletionTest {

	private static final Duration LEASE = Duration.ofMillis(300);

	private static final Duration RETENTION = Duration.ofHours(1);

	private static final ExceptionPolicy KEEP_BUSINESS_FAILURES = new ExceptionPolicy(List.of(BusinessFailure.class),
			List.of());

	private final ManualClock clock = new ManualClock();

	private final FaultInjectingIdempotencyStore store = new FaultInjectingIdempotencyStore(
			new InMemoryIdempotencyStore(this.clock));

	private final Transactions transactions = new Transactions();

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final LeaseRenewer renewer = new LeaseRenewer(Duration.ofMillis(10));

	private final IdempotencyEngine engine = IdempotencyEngine.builder(this.store)
		.keys(new IdempotencyKeys("idem:", 255))
		.clock(this.clock)
		.leaseRenewer(this.renewer)
		.transactions(this.transactions)
		.listener(new IdempotencyListener() {

			@Override
			public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
				IdempotencyEngineCompletionTest.this.events.add(call.key() + "=" + outcome.value());
			}

			@Override
			public void onLeaseLost(IdempotencyCall call) {
				IdempotencyEngineCompletionTest.this.events.add(call.key() + "=lease_lost");
			}

			@Override
			public void onCompletionFailed(IdempotencyCall call) {
				IdempotencyEngineCompletionTest.this.events.add(call.key() + "=late_completion_failed");
			}

		})
		.build();

	private final AtomicInteger executions = new AtomicInteger();

	@AfterEach
	void stopRenewer() {
		this.store.releaseHeldExtensions();
		this.renewer.close();
	}

	@Test
	void aCompletionTheStoreRefusedIsRetriedInTheBackgroundWhileTheLeaseHolds() throws Throwable {
		this.store.failNextCompletions(2);
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).value()).isEqualTo("result-1");
		Poll.until("the outcome is stored by a later attempt", () -> this.store.find(storageKey("k1"))
			.filter((record) -> record.state() == RecordState.COMPLETED)
			.isPresent());
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).replayed()).isTrue();
		assertThat(this.executions).hasValue(1);
		assertThat(this.events).containsExactly("k1=executed", "k1=replayed");
	}

	@Test
	void aCompletionStoredThoughItsAnswerTimedOutIsNotToldAsFailed() throws Throwable {
		this.store.timeOutNextCompletionsAfterStoring(1);
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).value()).isEqualTo("result-1");
		Poll.until("the completion is tried again and settled",
				() -> this.store.calls() >= 3 && this.renewer.held() == 0);
		assertThat(this.events).as("the outcome is stored: nothing failed").containsExactly("k1=executed");
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).replayed()).isTrue();
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void theCallerIsAnsweredWhileItsCompletionIsStillRetried() throws Throwable {
		this.store.failingCompletions(true);
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).value()).isEqualTo("result-1");
		assertThat(this.store.find(storageKey("k1"))).as("answered before the outcome could be stored")
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS));
		assertThatExceptionOfType(RequestInProgressException.class)
			.as("a duplicate meanwhile waits: the claim is still held")
			.isThrownBy(() -> this.engine.execute(call("k1"), TEXT, this::work));
		this.store.failingCompletions(false);
		Poll.until("the outcome is stored once the store is back", () -> this.store.find(storageKey("k1"))
			.filter((record) -> record.state() == RecordState.COMPLETED)
			.isPresent());
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).replayed()).isTrue();
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void aCompletionThatFailsForALeaseIsToldAsCompletionFailed() throws Throwable {
		this.store.failingCompletions(true);
		this.engine.execute(call("k1"), TEXT, this::work);
		Poll.until("the background retries give up",
				() -> this.events.contains("k1=late_completion_failed"));
		assertThat(this.events).containsExactly("k1=executed", "k1=late_completion_failed");
		int renewals = this.store.extensions().availablePermits();
		this.store.extensions().drainPermits();
		assertThat(this.store.extensions().tryAcquire(2, 3 * LEASE.toMillis(), TimeUnit.MILLISECONDS))
			.as("renewals stopped when the retries gave up (%d before; one may have been in flight)", renewals)
			.isFalse();
	}

	@Test
	void aSuccessInATransactionIsCompletedOnlyOnceItCommitted() throws Throwable {
		this.transactions.begin();
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).value()).isEqualTo("result-1");
		assertThatExceptionOfType(RequestInProgressException.class)
			.as("not completed before the commit")
			.isThrownBy(() -> this.engine.execute(call("k1"), TEXT, this::work));
		this.transactions.end(TransactionEnd.COMMITTED);
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).value()).isEqualTo("result-1");
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void aSuccessWhoseTransactionRolledBackIsReleasedSoTheRetryRuns() throws Throwable {
		this.transactions.begin();
		this.engine.execute(call("k1"), TEXT, this::work);
		this.transactions.end(TransactionEnd.ROLLED_BACK);
		Execution<String> retry = this.engine.execute(call("k1"), TEXT, this::work);
		assertThat(retry.replayed()).as("a rolled-back success is never replayed").isFalse();
		assertThat(retry.value()).isEqualTo("result-2");
	}

	@Test
	void aSuccessWhoseTransactionEndedUnknownRefusesDuplicates() throws Throwable {
		this.transactions.begin();
		this.engine.execute(call("k1"), TEXT, this::work);
		this.transactions.end(TransactionEnd.UNKNOWN);
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> this.engine.execute(call("k1"), TEXT, this::work));
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void aKeptFailureIsKeptWhenItsTransactionRolledBack() throws Throwable {
		IdempotencyCall call = call("k1", KEEP_BUSINESS_FAILURES);
		this.transactions.begin();
		assertThatExceptionOfType(BusinessFailure.class).isThrownBy(() -> this.engine.execute(call, TEXT, () -> {
			this.executions.incrementAndGet();
			throw new BusinessFailure("insufficient funds");
		}));
		this.transactions.end(TransactionEnd.ROLLED_BACK);
		assertThatExceptionOfType(BusinessFailure.class)
			.isThrownBy(() -> this.engine.execute(call, TEXT, this::work).getOrThrow())
			.withMessage("insufficient funds");
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void aReleasingFailureWhoseTransactionCommittedKeepsTheKey() throws Throwable {
		this.transactions.begin();
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> this.engine.execute(call("k1"), TEXT, () -> {
				this.executions.incrementAndGet();
				throw new IllegalStateException("socket closed after the insert");
			}));
		this.transactions.end(TransactionEnd.COMMITTED);
		// Its work is committed: a retry must not run it again.
		Throwable duplicate = org.assertj.core.api.Assertions
			.catchThrowable(() -> this.engine.execute(call("k1"), TEXT, this::work).getOrThrow());
		assertThat(duplicate).isNotNull();
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void theLeaseIsRenewedUntilTheTransactionEnded() throws Throwable {
		this.transactions.begin();
		this.engine.execute(call("k1"), TEXT, this::work);
		this.store.extensions().drainPermits();
		assertThat(this.store.extensions().tryAcquire(2, 10, TimeUnit.SECONDS))
			.as("renewed after the call returned, before the commit")
			.isTrue();
		this.transactions.end(TransactionEnd.COMMITTED);
		assertThat(this.engine.execute(call("k1"), TEXT, this::work).replayed()).isTrue();
	}

	@Test
	void aLeaseFoundGoneIsToldToTheRunningCall() throws Throwable {
		AtomicReference<IdempotencyLease> lease = new AtomicReference<>();
		List<Boolean> held = new ArrayList<>();
		this.engine.execute(call("k1"), TEXT, () -> {
			lease.set(this.engine.currentLease().orElseThrow());
			held.add(lease.get().isHeld());
			// An operator deletes the claim: the next renewal finds it gone.
			this.store.delete(storageKey("k1"));
			Poll.until("the renewal finds the claim gone", () -> !lease.get().isHeld());
			held.add(lease.get().isHeld());
			return "done";
		});
		assertThat(held).containsExactly(true, false);
		assertThat(this.events).containsExactly("k1=lease_lost", "k1=completion_failed");
	}

	@Test
	void oneRenewalStuckOnTheStoreDelaysNoOtherCall() throws Throwable {
		this.store.holdExtensions((key) -> key.equals(storageKey("stuck")));
		CountDownLatch stuckRunning = new CountDownLatch(1);
		CountDownLatch finish = new CountDownLatch(1);
		CompletableFuture<Void> stuck = CompletableFuture.runAsync(() -> {
			try {
				this.engine.execute(call("stuck"), TEXT, () -> {
					stuckRunning.countDown();
					finish.await();
					return "late";
				});
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		});
		stuckRunning.await();
		AtomicReference<IdempotencyLease> lease = new AtomicReference<>();
		this.engine.execute(call("healthy"), TEXT, () -> {
			lease.set(this.engine.currentLease().orElseThrow());
			this.store.extensions().drainPermits();
			// Three renewals of this call while the other's first renewal hangs: six leases' time.
			assertThat(this.store.extensions().tryAcquire(3, 10, TimeUnit.SECONDS)).isTrue();
			Poll.until("the stuck call's lease lapses", () -> this.events.contains("stuck=lease_lost"));
			assertThat(lease.get().isHeld()).isTrue();
			return "on time";
		});
		assertThat(this.events).contains("stuck=lease_lost", "healthy=executed").doesNotContain("healthy=lease_lost");
		finish.countDown();
		this.store.releaseHeldExtensions();
		stuck.get(10, TimeUnit.SECONDS);
	}

	private String work() {
		return "result-" + this.executions.incrementAndGet();
	}

	private static IdempotencyCall call(String key) {
		return call(key, ExceptionPolicy.RELEASE_ALL);
	}

	private static IdempotencyCall call(String key, ExceptionPolicy exceptions) {
		return new IdempotencyCall("orders", key, "alice", null, null,
				new IdempotencyPolicy(DuplicatePolicy.REPLAY, LEASE, RETENTION, Duration.ZERO, exceptions));
	}

	private static String storageKey(String key) {
		return new IdempotencyKeys("idem:", 255).storageKey("orders", "alice", key);
	}

	/** A transaction on the test's thread, ended when the test says. */
	private static final class Transactions implements TransactionBoundary {

		private final List<Consumer<TransactionEnd>> whenEnded = new ArrayList<>();

		private boolean active;

		void begin() {
			this.active = true;
		}

		void end(TransactionEnd end) {
			this.active = false;
			this.whenEnded.forEach((callback) -> callback.accept(end));
			this.whenEnded.clear();
		}

		@Override
		public boolean afterEnd(Consumer<TransactionEnd> callback) {
			if (!this.active) {
				return false;
			}
			this.whenEnded.add(callback);
			return true;
		}

	}

}
