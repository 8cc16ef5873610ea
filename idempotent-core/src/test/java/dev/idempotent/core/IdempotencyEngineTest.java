package dev.idempotent.core;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.testing.ConcurrentCallers;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class IdempotencyEngineTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofHours(24);

	private final MutableClock clock = new MutableClock();

	private final FaultyStore store = new FaultyStore(new InMemoryIdempotencyStore(this.clock));

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
		this.engine.execute(new IdempotentCall("orders", "k1", "alice", null, DuplicatePolicy.REPLAY, LEASE, RETENTION),
				TEXT, this::work);
		Execution<String> bob = this.engine.execute(
				new IdempotentCall("orders", "k1", "bob", null, DuplicatePolicy.REPLAY, LEASE, RETENTION), TEXT,
				this::work);
		Execution<String> otherOperation = this.engine.execute(
				new IdempotentCall("payments", "k1", "alice", null, DuplicatePolicy.REPLAY, LEASE, RETENTION), TEXT,
				this::work);
		assertThat(bob.replayed()).isFalse();
		assertThat(otherOperation.replayed()).isFalse();
		assertThat(this.executions).hasValue(3);
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
		assertThat(this.store.calls).hasValue(0);
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void storageFailureFailsClosedAndRecovers() throws Throwable {
		this.store.failing.set(true);
		assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
			.isThrownBy(() -> this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work))
			.satisfies((ex) -> assertThat(ex.getRetryAfter()).isPositive());
		assertThat(this.executions).hasValue(0);
		this.store.failing.set(false);
		assertThat(this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, this::work).value())
			.isEqualTo("result-1");
	}

	@Test
	void failedCompletionStillReturnsTheResultAndKeepsTheClaim() throws Throwable {
		Execution<String> result = this.engine.execute(call("k1", DuplicatePolicy.REPLAY), TEXT, () -> {
			this.store.failing.set(true);
			return work();
		});
		this.store.failing.set(false);
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
		assertThat(this.engine.find("orders", "alice", "k1"))
			.hasValueSatisfying((r) -> assertThat(r.outcome()).isEqualTo("result-1"));
		assertThat(this.engine.delete("orders", "alice", "k1")).isTrue();
		assertThat(this.engine.find("orders", "alice", "k1")).isEmpty();
		assertThat(this.engine.delete("orders", "alice", "k1")).isFalse();
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

	private String work() {
		return "result-" + this.executions.incrementAndGet();
	}

	private static IdempotentCall call(@Nullable String key, DuplicatePolicy policy) {
		return new IdempotentCall("orders", key, "alice", null, policy, LEASE, RETENTION);
	}

	private static IdempotentCall call(String key, String fingerprint) {
		return new IdempotentCall("orders", key, "alice", fingerprint, DuplicatePolicy.REPLAY, LEASE, RETENTION);
	}

	private static String storageKey(String key) {
		return new IdempotencyKeys("idem:", 255).storageKey("orders", "alice", key);
	}

	private static final OutcomeCodec<String> TEXT = new OutcomeCodec<>() {

		@Override
		public String encode(@Nullable String result) {
			return (result != null) ? result : "\u0000";
		}

		@Override
		public @Nullable String decode(String outcome) {
			return outcome.equals("\u0000") ? null : outcome;
		}

	};

	/** The in-memory store, with a switch that makes every call fail as a broken connection would. */
	private static final class FaultyStore implements IdempotencyStore {

		final AtomicBoolean failing = new AtomicBoolean();

		final AtomicInteger calls = new AtomicInteger();

		private final IdempotencyStore delegate;

		FaultyStore(IdempotencyStore delegate) {
			this.delegate = delegate;
		}

		private void check() {
			this.calls.incrementAndGet();
			if (this.failing.get()) {
				throw new IllegalStateException("connection refused");
			}
		}

		@Override
		public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
			check();
			return this.delegate.tryClaim(key, owner, fingerprint, lease);
		}

		@Override
		public boolean complete(String key, String owner, String outcome, Duration retention) {
			check();
			return this.delegate.complete(key, owner, outcome, retention);
		}

		@Override
		public boolean release(String key, String owner) {
			check();
			return this.delegate.release(key, owner);
		}

		@Override
		public boolean extend(String key, String owner, Duration lease) {
			check();
			return this.delegate.extend(key, owner, lease);
		}

		@Override
		public boolean delete(String key) {
			check();
			return this.delegate.delete(key);
		}

		@Override
		public java.util.Optional<IdempotencyRecord> find(String key) {
			return this.delegate.find(key);
		}

	}

}
