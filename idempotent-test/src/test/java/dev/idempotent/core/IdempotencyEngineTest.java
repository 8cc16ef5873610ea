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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.FaultInjectingIdempotencyStore;
import dev.idempotent.test.ManualClock;
import dev.idempotent.test.Poll;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.catchThrowable;

class IdempotencyEngineTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofHours(24);

	private static final IdempotencyPolicy REPLAY = IdempotencyPolicy.of(DuplicatePolicy.REPLAY, LEASE, RETENTION);

	// A completion that keeps failing is retried while the lease holds: a short one ends that soon.
	private static final Duration SHORT = Duration.ofMillis(300);

	private static final IdempotencyPolicy SHORT_LEASE = IdempotencyPolicy.of(DuplicatePolicy.REPLAY, SHORT, RETENTION);

	private static final ExceptionPolicy KEEP_BUSINESS_FAILURES = new ExceptionPolicy(List.of(BusinessFailure.class),
			List.of(TransientBusinessFailure.class));

	private final ManualClock clock = new ManualClock();

	private final FaultInjectingIdempotencyStore store = new FaultInjectingIdempotencyStore(
			new InMemoryIdempotencyStore(this.clock));

	private final IdempotencyEngine engine = new IdempotencyEngine(this.store, new IdempotencyKeys("idem:", 255),
			this.clock);

	private final AtomicInteger executions = new AtomicInteger();

	@Test
	void firstCallRunsAndRetryReplaysItsResult() throws Throwable {
		Execution<String> first = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
		Execution<String> retry = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
		assertThat(first.replayed()).isFalse();
		assertThat(retry.replayed()).isTrue();
		assertThat(retry.value()).isEqualTo(first.value()).isEqualTo("result-1");
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void nullResultIsReplayedAsNull() throws Throwable {
		this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> null);
		Execution<String> retry = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
		assertThat(retry.replayed()).isTrue();
		assertThat(retry.value()).isNull();
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void rejectPolicyRejectsDuplicatesOfACompletedCall() throws Throwable {
		this.engine.execute(call("k1", DuplicatePolicy.REJECT), TEXT, this::work);
		assertThatExceptionOfType(DuplicateRequestException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REJECT), TEXT, this::work));
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void duplicateWhileRunningIsInProgressWithRetryAfterFromTheLease() throws Throwable {
		this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> {
			this.clock.advance(Duration.ofMillis(10_500));
			assertThatExceptionOfType(RequestInProgressException.class)
				.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work))
				.satisfies((ex) -> assertThat(ex.getRetryAfter()).isEqualTo(Duration.ofSeconds(20)));
			return "outer";
		});
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void callsAreScopedByCallerAndOperation() throws Throwable {
		this.engine.execute(new IdempotencyCall("orders", "k1", "alice", null, null, REPLAY), TEXT, this::work);
		Execution<String> bob = this.engine.execute(new IdempotencyCall("orders", "k1", "bob", null, null, REPLAY), TEXT,
				this::work);
		Execution<String> otherOperation = this.engine
			.execute(new IdempotencyCall("payments", "k1", "alice", null, null, REPLAY), TEXT, this::work);
		Execution<String> otherTenant = this.engine
			.execute(new IdempotencyCall("orders", "k1", "alice", "tenant-2", null, REPLAY), TEXT, this::work);
		Execution<String> sameTenant = this.engine
			.execute(new IdempotencyCall("orders", "k1", "alice", "tenant-2", null, REPLAY), TEXT, this::work);
		assertThat(bob.replayed()).isFalse();
		assertThat(otherOperation.replayed()).isFalse();
		assertThat(otherTenant.replayed()).isFalse();
		assertThat(sameTenant.replayed()).isTrue();
		assertThat(this.executions).hasValue(4);
	}

	@Test
	void quotedAndBareKeyAreTheSameKey() throws Throwable {
		this.engine.execute(call("abc", DuplicatePolicy.REPLAY), TEXT, this::work);
		assertThat(this.engine.execute(call("\"abc\"", DuplicatePolicy.REPLAY), TEXT, this::work).replayed()).isTrue();
	}

	@Test
	void exceptionReleasesTheKeySoARetryRuns() throws Throwable {
		IllegalStateException failure = new IllegalStateException("boom");
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> {
				this.executions.incrementAndGet();
				throw failure;
			}))
			.isSameAs(failure);
		assertThat(this.store.find(storageKey("k1"))).isEmpty();
		Execution<String> retry = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
		assertThat(retry.replayed()).isFalse();
		assertThat(this.executions).hasValue(2);
	}

	@Test
	void releaseFromCallLetsARetryRunAndStoresNothing() throws Throwable {
		Execution<String> first = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> {
			this.executions.incrementAndGet();
			assertThat(this.engine.releaseFromCall("k1")).isTrue();
			return "system failure answer";
		});
		assertThat(first.value()).isEqualTo("system failure answer");
		assertThat(this.store.find(storageKey("k1"))).isEmpty();
		assertThat(this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).replayed()).isFalse();
		assertThat(this.executions).hasValue(2);
	}

	@Test
	void releaseFromCallOfAnotherKeyDeletesItInTheSameScope() throws Throwable {
		this.engine.execute(call("other", DuplicatePolicy.REPLAY), TEXT, this::work);
		this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> {
			assertThat(this.engine.releaseFromCall("other")).isTrue();
			return "done";
		});
		assertThat(this.store.find(storageKey("other"))).isEmpty();
		assertThat(this.store.find(storageKey("k1"))).hasValueSatisfying((r) -> assertThat(r.isCompleted()).isTrue());
	}

	@Test
	void releaseFromCallOutsideACallIsAnError() {
		assertThatIllegalStateException().isThrownBy(() -> this.engine.releaseFromCall("k1"))
			.withMessageContaining("No idempotent call is running");
	}

	@Test
	void nestedCallsKeepTheirOwnClaims() throws Throwable {
		this.engine.execute(call("outer", DuplicatePolicy.REPLAY), TEXT, () -> {
			this.engine.execute(call("inner", DuplicatePolicy.REPLAY), TEXT, this::work);
			assertThat(this.engine.currentCall()).hasValueSatisfying((c) -> assertThat(c.key()).isEqualTo("outer"));
			return "outer";
		});
		assertThat(this.engine.currentCall()).isEmpty();
		assertThat(this.store.find(storageKey("outer"))).hasValueSatisfying((r) -> assertThat(r.isCompleted()).isTrue());
		assertThat(this.store.find(storageKey("inner"))).hasValueSatisfying((r) -> assertThat(r.isCompleted()).isTrue());
	}

	@Test
	void differentFingerprintIsKeyReusedAndLeavesTheRecord() throws Throwable {
		this.engine.execute(call("k1", "fp-1"), TEXT, this::work);
		assertThatExceptionOfType(IdempotencyKeyReusedException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", "fp-2"), TEXT, this::work));
		assertThat(this.engine.execute(call("k1", "fp-1"), TEXT, this::work).value()).isEqualTo("result-1");
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void badKeysStoreNothing() {
		for (String bad : new String[] { null, "", "k".repeat(256), "a\tb", "caf\u00e9" }) {
			assertThatExceptionOfType(IdempotencyException.class)
				.isThrownBy(() -> this.engine.execute(call(bad, DuplicatePolicy.REPLAY), TEXT, this::work))
				.isInstanceOfAny(MissingIdempotencyKeyException.class, InvalidIdempotencyKeyException.class);
		}
		assertThat(this.store.calls()).isZero();
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void storageFailureFailsClosedAndRecovers() throws Throwable {
		this.store.failing(true);
		assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work))
			.satisfies((ex) -> assertThat(ex.getRetryAfter()).isPositive());
		assertThat(this.executions).hasValue(0);
		this.store.failing(false);
		assertThat(this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).value())
			.isEqualTo("result-1");
	}

	@Test
	void failedCompletionStillReturnsTheResultAndKeepsTheClaim() throws Throwable {
		Execution<String> result = this.engine.execute(call("k1", SHORT_LEASE), TEXT, () -> {
			this.store.failing(true);
			return work();
		});
		this.store.failing(false);
		assertThat(result.value()).isEqualTo("result-1");
		assertThat(this.store.find(storageKey("k1")))
			.hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS));
		assertThatExceptionOfType(RequestInProgressException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work));
	}

	@Test
	void claimOfACrashedCallLapsesAfterTheLease() throws Throwable {
		this.store.tryClaim(storageKey("k1"), "crashed-owner", null, LEASE);
		assertThatExceptionOfType(RequestInProgressException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work));
		this.clock.advance(LEASE);
		assertThat(this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).replayed()).isFalse();
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void completedOutcomeLapsesAfterTheRetention() throws Throwable {
		this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
		this.clock.advance(RETENTION);
		assertThat(this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).value())
			.isEqualTo("result-2");
	}

	@Test
	void operatorDeleteAndFind() throws Throwable {
		this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
		assertThat(this.engine.records().find("orders", "alice", "k1"))
			.hasValueSatisfying((r) -> assertThat(r.outcome()).isEqualTo("result-1"));
		assertThat(this.engine.records().find("orders", "alice", "tenant-2", "k1")).isEmpty();
		assertThat(this.engine.records().delete("orders", "alice", "k1")).isTrue();
		assertThat(this.engine.records().find("orders", "alice", "k1")).isEmpty();
		assertThat(this.engine.records().delete("orders", "alice", "k1")).isFalse();
	}

	@Test
	void sixtyFourConcurrentCallsWithOneKeyRunOnce() throws Exception {
		int callers = 64;
		CountDownLatch othersAnswered = new CountDownLatch(callers - 1);
		List<String> outcomes = ConcurrentCallers.race(callers, () -> {
			try {
				Execution<String> execution = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> {
					// A slow method: it holds the claim until every other caller has been answered.
					othersAnswered.await(30, TimeUnit.SECONDS);
					return work();
				});
				return execution.replayed() ? "replayed" : "executed";
			}
			catch (RequestInProgressException ex) {
				othersAnswered.countDown();
				return "in-progress";
			}
		});
		assertThat(this.executions).hasValue(1);
		assertThat(outcomes).containsOnlyOnce("executed").hasSize(callers)
			.filteredOn("in-progress"::equals)
			.hasSize(callers - 1);
	}

	@Test
	void keptFailureIsStoredAndADuplicateGetsTheSameFailure() throws Throwable {
		IdempotencyCall call = call("k1", policy(KEEP_BUSINESS_FAILURES, Duration.ZERO));
		assertThatExceptionOfType(BusinessFailure.class).isThrownBy(() -> this.engine.execute(call, TEXT, () -> {
			this.executions.incrementAndGet();
			throw new BusinessFailure("insufficient funds");
		}));
		Execution<String> replay = this.engine.execute(call, TEXT, this::work);
		assertThat(replay.replayed()).isTrue();
		assertThat(replay.failure()).isExactlyInstanceOf(BusinessFailure.class).hasMessage("insufficient funds");
		assertThatExceptionOfType(BusinessFailure.class).isThrownBy(replay::getOrThrow);
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void releaseOnASubclassOfAKeptFailureReleasesTheKey() throws Throwable {
		IdempotencyCall call = call("k1", policy(KEEP_BUSINESS_FAILURES, Duration.ZERO));
		assertThatExceptionOfType(TransientBusinessFailure.class)
			.isThrownBy(() -> this.engine.execute(call, TEXT, () -> {
				throw new TransientBusinessFailure("try again");
			}));
		assertThatIllegalStateException().isThrownBy(() -> this.engine.execute(call, TEXT, () -> {
			throw new IllegalStateException("not listed");
		}));
		assertThat(this.store.find(storageKey("k1"))).isEmpty();
		assertThat(this.engine.execute(call, TEXT, this::work).replayed()).isFalse();
	}

	@Test
	void exceptionPolicyRejectsATypeInBothLists() {
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> new ExceptionPolicy(List.of(BusinessFailure.class), List.of(BusinessFailure.class)))
			.withMessageContaining(BusinessFailure.class.getName());
	}

	@Test
	void outcomeLargerThanTheLimitIsNotKeptAndItsDuplicateIsRefusedNotRun() throws Throwable {
		IdempotencyEngine small = IdempotencyEngine.builder(this.store)
			.keys(new IdempotencyKeys("idem:", 255))
			.clock(this.clock)
			.maxOutcomeSize(16)
			.build();
		assertThat(small.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> "x".repeat(17)).value())
			.hasSize(17);
		assertThat(small.execute(call("k2", DuplicatePolicy.REPLAY), TEXT, () -> "x".repeat(16)).value())
			.hasSize(16);
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> small.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work));
		assertThat(small.execute(call("k2", DuplicatePolicy.REPLAY), TEXT, this::work).value()).isEqualTo("x".repeat(16));
		assertThat(this.store.find(storageKey("k1"))).hasValueSatisfying((r) -> assertThat(r.isCompleted()).isTrue());
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void outcomeThatCannotBeEncodedOrDecodedIsRefusedNotRunAgain() throws Throwable {
		assertThat(this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> "unencodable").value())
			.isEqualTo("unencodable");
		this.engine.execute(call("k2", DuplicatePolicy.REPLAY), TEXT, () -> "undecodable");
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work));
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> this.engine.execute(call("k2", DuplicatePolicy.REPLAY), TEXT, this::work));
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void duplicateAwaitingCompletionGetsTheFirstResult() throws Throwable {
		IdempotencyCall call = call("k1", policy(ExceptionPolicy.RELEASE_ALL, Duration.ofSeconds(30)));
		CompletableFuture<Execution<String>> duplicate = new CompletableFuture<>();
		Execution<String> first = this.engine.execute(call, TEXT, () -> {
			int claimsBefore = this.store.claims();
			runAside(() -> duplicate.complete(this.engine.execute(call, TEXT, this::work)));
			// Finish only once the duplicate has found the call running and polled again.
			awaitClaims(claimsBefore + 2);
			return work();
		});
		assertThat(duplicate.get(30, TimeUnit.SECONDS)).satisfies((execution) -> {
			assertThat(execution.replayed()).isTrue();
			assertThat(execution.value()).isEqualTo(first.value());
		});
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void duplicateAwaitingARunThatFailsRunsItself() throws Throwable {
		IdempotencyCall call = call("k1", policy(ExceptionPolicy.RELEASE_ALL, Duration.ofSeconds(30)));
		CompletableFuture<Execution<String>> duplicate = new CompletableFuture<>();
		assertThatIllegalStateException().isThrownBy(() -> this.engine.execute(call, TEXT, () -> {
			int claimsBefore = this.store.claims();
			runAside(() -> duplicate.complete(this.engine.execute(call, TEXT, this::work)));
			awaitClaims(claimsBefore + 2);
			throw new IllegalStateException("system failure");
		}));
		assertThat(duplicate.get(30, TimeUnit.SECONDS)).satisfies((execution) -> {
			assertThat(execution.replayed()).isFalse();
			assertThat(execution.value()).isEqualTo("result-1");
		});
	}

	@Test
	void duplicateAwaitingTooLongIsInProgress() throws Throwable {
		IdempotencyCall call = call("k1", policy(ExceptionPolicy.RELEASE_ALL, Duration.ofMillis(50)));
		this.engine.execute(call, TEXT, () -> {
			CompletableFuture<Throwable> duplicate = new CompletableFuture<>();
			runAside(() -> {
				try {
					this.engine.execute(call, TEXT, this::work);
					duplicate.complete(null);
				}
				catch (Throwable ex) {
					duplicate.complete(ex);
				}
			});
			assertThat(duplicate.get(30, TimeUnit.SECONDS)).isInstanceOf(RequestInProgressException.class);
			assertThat(this.store.claims()).as("polled more than once").isGreaterThan(2);
			return "first";
		});
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void leaseIsRenewedWhileTheCallRunsSoItOutlivesItsLease() throws Throwable {
		Duration lease = Duration.ofMillis(300);
		IdempotencyCall call = call("k1", IdempotencyPolicy.of(DuplicatePolicy.REPLAY, lease, RETENTION));
		try (LeaseRenewer renewer = new LeaseRenewer()) {
			IdempotencyEngine renewing = IdempotencyEngine.builder(this.store)
				.keys(new IdempotencyKeys("idem:", 255))
				.clock(this.clock)
				.leaseRenewer(renewer)
				.build();
			renewing.execute(call, TEXT, () -> {
				// Three leases pass on the store's clock, each time after a renewal.
				for (int i = 0; i < 6; i++) {
					assertThat(this.store.extensions().tryAcquire(30, TimeUnit.SECONDS)).isTrue();
					this.clock.advance(lease.dividedBy(2));
				}
				assertThatExceptionOfType(RequestInProgressException.class)
					.isThrownBy(() -> renewing.execute(call, TEXT, this::work));
				return work();
			});
			assertThat(renewing.execute(call, TEXT, this::work).replayed()).isTrue();
		}
		assertThat(this.executions).hasValue(1);
	}

	@Test
	void withoutRenewalALongCallLosesItsClaim() throws Throwable {
		Duration lease = Duration.ofMillis(300);
		IdempotencyCall call = call("k1", IdempotencyPolicy.of(DuplicatePolicy.REPLAY, lease, RETENTION));
		this.engine.execute(call, TEXT, () -> {
			this.clock.advance(lease);
			assertThat(this.engine.execute(call, TEXT, this::work).replayed()).isFalse();
			return work();
		});
		assertThat(this.executions).as("what renewal prevents: the call ran twice").hasValue(2);
	}

	@Test
	void listenerIsToldHowEachCallWasAnswered() throws Throwable {
		List<String> outcomes = new CopyOnWriteArrayList<>();
		IdempotencyEngine engine = listenedEngine((call, outcome) -> outcomes.add(call.key() + "=" + outcome.value()));
		engine.execute(call("k1", "fp-1"), TEXT, this::work);
		engine.execute(call("k1", "fp-1"), TEXT, this::work);
		catchThrowable(() -> engine.execute(call("k1", "fp-2"), TEXT, this::work));
		catchThrowable(() -> engine.execute(call(null, DuplicatePolicy.REPLAY), TEXT, this::work));
		catchThrowable(() -> engine.execute(call("a\tb", DuplicatePolicy.REPLAY), TEXT, this::work));
		engine.execute(call("k2", DuplicatePolicy.REJECT), TEXT, this::work);
		catchThrowable(() -> engine.execute(call("k2", DuplicatePolicy.REJECT), TEXT, this::work));
		engine.execute(call("k3", DuplicatePolicy.REPLAY), TEXT, () -> {
			catchThrowable(() -> engine.execute(call("k3", DuplicatePolicy.REPLAY), TEXT, this::work));
			return "outer";
		});
		engine.execute(call("k4", DuplicatePolicy.REPLAY), TEXT, () -> "unencodable");
		catchThrowable(() -> engine.execute(call("k4", DuplicatePolicy.REPLAY), TEXT, this::work));
		this.store.failing(true);
		catchThrowable(() -> engine.execute(call("k5", DuplicatePolicy.REPLAY), TEXT, this::work));
		assertThat(outcomes).containsExactly("k1=executed", "k1=replayed", "k1=key_reused", "null=invalid_key",
				"a\tb=invalid_key", "k2=executed", "k2=rejected", "k3=in_progress", "k3=executed", "k4=executed",
				"k4=replay_unavailable", "k5=storage_unavailable");
	}

	@Test
	void listenerIsToldWhenAnOutcomeCannotBeStored() throws Throwable {
		List<String> outcomes = new CopyOnWriteArrayList<>();
		IdempotencyEngine engine = listenedEngine((call, outcome) -> outcomes.add(call.key() + "=" + outcome.value()));
		IdempotencyCall keepsFailures = call("k2",
				new IdempotencyPolicy(DuplicatePolicy.REPLAY, SHORT, RETENTION, Duration.ZERO, KEEP_BUSINESS_FAILURES));
		assertThat(engine.execute(call("k1", SHORT_LEASE), TEXT, () -> {
			this.store.failing(true);
			return work();
		}).value()).isEqualTo("result-1");
		this.store.failing(false);
		assertThatExceptionOfType(BusinessFailure.class).isThrownBy(() -> engine.execute(keepsFailures, TEXT, () -> {
			this.store.failing(true);
			throw new BusinessFailure("insufficient funds");
		}));
		this.store.failing(false);
		// The claim of k3 is deleted while the call runs: it completes without a claim.
		engine.execute(call("k3", DuplicatePolicy.REPLAY), TEXT, () -> {
			this.store.delete(storageKey("k3"));
			return work();
		});
		assertThat(outcomes).containsExactly("k1=completion_failed", "k2=completion_failed", "k3=completion_failed");
	}

	@Test
	void aFailureOfTheMethodIsAnExecutionEvenWhenItIsTheLibrarysOwn() throws Throwable {
		List<String> outcomes = new CopyOnWriteArrayList<>();
		IdempotencyEngine engine = listenedEngine((call, outcome) -> outcomes.add(call.key() + "=" + outcome.value()));
		engine.execute(call("inner", DuplicatePolicy.REJECT), TEXT, this::work);
		// The outer method ran; that a nested call was rejected is the nested call's outcome.
		assertThatExceptionOfType(DuplicateRequestException.class)
			.isThrownBy(() -> engine.execute(call("outer", DuplicatePolicy.REPLAY), TEXT,
					() -> engine.execute(call("inner", DuplicatePolicy.REJECT), TEXT, this::work).value()));
		assertThat(outcomes).containsExactly("inner=executed", "inner=rejected", "outer=executed");
	}

	@Test
	void aFailingListenerChangesNoAnswer() throws Throwable {
		IdempotencyEngine engine = listenedEngine((call, outcome) -> {
			throw new IllegalStateException("metrics are down");
		});
		assertThat(engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).value()).isEqualTo("result-1");
		assertThat(engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).replayed()).isTrue();
		assertThatExceptionOfType(MissingIdempotencyKeyException.class)
			.isThrownBy(() -> engine.execute(call(null, DuplicatePolicy.REPLAY), TEXT, this::work));
	}

	@Test
	void logsOfTheMethodCarryTheOperationAndKeyAndNestedCallsRestoreThem() throws Throwable {
		Logger business = (Logger) LoggerFactory.getLogger("business");
		ListAppender<ILoggingEvent> logs = new ListAppender<>();
		logs.start();
		business.addAppender(logs);
		try {
			MDC.put(IdempotencyEngine.MDC_OPERATION, "request-scope");
			assertThatIllegalStateException()
				.isThrownBy(() -> this.engine.execute(call("\"outer-key\"", DuplicatePolicy.REPLAY), TEXT, () -> {
					business.info("outer");
					this.engine.execute(new IdempotencyCall("payments", "inner-key", "alice", null, null, REPLAY), TEXT,
							() -> {
								business.info("inner");
								return "inner";
							});
					business.info("outer again");
					throw new IllegalStateException("released");
				}));
			business.info("after");
			MDC.clear();
			this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
			this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work);
			business.info("after a replay");
		}
		finally {
			business.detachAppender(logs);
			MDC.clear();
		}
		assertThat(logs.list).extracting((event) -> event.getMessage() + ": "
				+ event.getMDCPropertyMap().get(IdempotencyEngine.MDC_OPERATION) + "/"
				+ event.getMDCPropertyMap().get(IdempotencyEngine.MDC_KEY))
			.containsExactly("outer: orders/outer-key", "inner: payments/inner-key", "outer again: orders/outer-key",
					"after: request-scope/null", "after a replay: null/null");
	}

	private IdempotencyEngine listenedEngine(IdempotencyListener listener) {
		return IdempotencyEngine.builder(this.store)
			.keys(new IdempotencyKeys("idem:", 255))
			.clock(this.clock)
			.listener(listener)
			.build();
	}

	private void awaitClaims(int claims) throws InterruptedException {
		Poll.until("the duplicate polls the store", () -> this.store.claims() >= claims);
	}

	private static void runAside(Aside task) {
		Thread thread = new Thread(() -> {
			try {
				task.run();
			}
			catch (Throwable ex) {
				throw new IllegalStateException(ex);
			}
		});
		thread.start();
	}

	private static IdempotencyPolicy policy(ExceptionPolicy exceptions, Duration awaitCompletion) {
		return new IdempotencyPolicy(DuplicatePolicy.REPLAY, LEASE, RETENTION, awaitCompletion, exceptions);
	}

	private String work() {
		return "result-" + this.executions.incrementAndGet();
	}

	private static IdempotencyCall call(@Nullable String key, DuplicatePolicy policy) {
		return call(key, IdempotencyPolicy.of(policy, LEASE, RETENTION));
	}

	private static IdempotencyCall call(@Nullable String key, IdempotencyPolicy policy) {
		return new IdempotencyCall("orders", key, "alice", null, null, policy);
	}

	private static IdempotencyCall call(String key, String fingerprint) {
		return new IdempotencyCall("orders", key, "alice", null, fingerprint, REPLAY);
	}

	private static String storageKey(String key) {
		return new IdempotencyKeys("idem:", 255).storageKey("orders", "alice", key);
	}

	/**
	 * Values as themselves ({@code null} as NUL), kept failures as {@code !message} (read back as a
	 * {@link BusinessFailure}), and outcomes not kept as {@code ?reason}.
	 */
	static final OutcomeCodec<String> TEXT = new OutcomeCodec<>() {

		@Override
		public String encode(Outcome<String> outcome) {
			if (outcome instanceof Outcome.Thrown<String> thrown) {
				return "!" + thrown.failure().getMessage();
			}
			if (outcome instanceof Outcome.Unavailable<String> unavailable) {
				return "?" + unavailable.reason();
			}
			String value = ((Outcome.Returned<String>) outcome).value();
			if ("unencodable".equals(value)) {
				throw new IllegalArgumentException("cannot encode " + value);
			}
			return (value != null) ? value : "\u0000";
		}

		@Override
		public Outcome<String> decode(String stored) {
			if (stored.startsWith("!")) {
				return Outcome.thrown(new BusinessFailure(stored.substring(1)));
			}
			if (stored.startsWith("?")) {
				return Outcome.unavailable(stored.substring(1));
			}
			if (stored.equals("undecodable")) {
				throw new IllegalArgumentException("cannot decode " + stored);
			}
			return Outcome.returned(stored.equals("\u0000") ? null : stored);
		}

	};

	@FunctionalInterface
	private interface Aside {

		void run() throws Throwable;

	}

	/** A failure that keeps the key. */
	static class BusinessFailure extends RuntimeException {

		BusinessFailure(String message) {
			super(message);
		}

	}

	/** A kind of business failure that releases it all the same. */
	static class TransientBusinessFailure extends BusinessFailure {

		TransientBusinessFailure(String message) {
			super(message);
		}

	}

}
