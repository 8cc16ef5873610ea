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
package dev.idempotent.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.fail;

/**
 * The contract every {@link IdempotencyStore} keeps. A store's test extends this class and supplies
 * only the store and how time passes for it; store-specific cases stay in the subclass.
 * <p>
 * Every test uses keys of its own, so stores on a shared server need no cleaning between tests.
 */
public abstract class IdempotencyStoreContractTest {

	/** Long enough that no claim lapses during a test unless the test waits it out. */
	protected static final Duration LONG_LEASE = Duration.ofMinutes(5);

	protected static final Duration RETENTION = Duration.ofHours(24);

	/** How far a record's reported expiry may stray from the expected one (clock reads, rounding). */
	private static final Duration EXPIRY_TOLERANCE = Duration.ofSeconds(2);

	private final String prefix = "contract:" + UUID.randomUUID() + ":";

	private final ManualClock manualClock = new ManualClock();

	/** The store under test. */
	protected abstract IdempotencyStore store();

	/**
	 * The clock the store reads, to check the expiry it reports. By default a clock the test moves
	 * by hand, to build the store on; a store that expires in real time returns the system's.
	 */
	protected Clock clock() {
		return this.manualClock;
	}

	/** A lease or retention the tests wait out: short for a store that expires in real time. */
	protected Duration shortLease() {
		return Duration.ofSeconds(10);
	}

	/**
	 * Lets {@code duration} pass as the store sees time: every record written before this call
	 * with a time to live of at most {@code duration} has expired when it returns. By default moves
	 * the {@link #clock()} the test moves by hand.
	 */
	protected void elapse(Duration duration) {
		this.manualClock.advance(duration);
	}

	/** Operations each thread of the fuzz test runs. */
	protected int fuzzOperationsPerThread() {
		return 250;
	}

	/** A key of this test's own. */
	protected String key(String name) {
		return this.prefix + name;
	}

	@Test
	void claimCreatesAnInProgressRecordThatLivesForTheLease() {
		String key = key("k");
		Instant before = clock().instant();
		assertThat(store().tryClaim(key, "owner-1", "fp-1", LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().find(key)).hasValueSatisfying((record) -> {
			assertThat(record.key()).isEqualTo(key);
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(record.owner()).isEqualTo("owner-1");
			assertThat(record.fingerprint()).isEqualTo("fp-1");
			assertThat(record.outcome()).isNull();
			assertThat(record.createdAt()).isBetween(before.minus(EXPIRY_TOLERANCE), clock().instant().plus(EXPIRY_TOLERANCE));
			assertExpiresAround(record, before.plus(LONG_LEASE));
		});
	}

	@Test
	void aSecondClaimGetsTheHolderInsteadOfTheKey() {
		String key = key("k");
		store().tryClaim(key, "owner-1", null, LONG_LEASE);
		ClaimResult second = store().tryClaim(key, "owner-2", "fp-2", LONG_LEASE);
		assertThat(second.isAcquired()).isFalse();
		assertThat(second.existing().state()).isEqualTo(RecordState.IN_PROGRESS);
		assertThat(second.existing().owner()).isEqualTo("owner-1");
		assertThat(second.existing().fingerprint()).as("no fingerprint was given").isNull();
		assertThat(store().find(key)).hasValueSatisfying((r) -> assertThat(r.owner()).isEqualTo("owner-1"));
	}

	@Test
	void completeStoresTheOutcomeForTheRetention() {
		String key = key("k");
		store().tryClaim(key, "owner-1", "fp-1", LONG_LEASE);
		String outcome = "{\"value\":{\"id\":\"o-1\",\"note\":\"multi\\nline, ünïcødé € 🚀\"}}";
		Instant before = clock().instant();
		assertThat(store().complete(key, "owner-1", outcome, RETENTION)).isTrue();
		ClaimResult duplicate = store().tryClaim(key, "owner-2", "fp-1", LONG_LEASE);
		assertThat(duplicate.isAcquired()).isFalse();
		IdempotencyRecord record = duplicate.existing();
		assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
		assertThat(record.isCompleted()).isTrue();
		assertThat(record.owner()).isEqualTo("owner-1");
		assertThat(record.fingerprint()).isEqualTo("fp-1");
		assertThat(record.outcome()).isEqualTo(outcome);
		if (record.expiresAt() != null) {
			// A store may leave a completed record's expiry unread when a claim meets it: a duplicate needs none.
			assertExpiresAround(record, before.plus(RETENTION));
		}
		assertThat(store().find(key)).hasValueSatisfying((found) -> {
			assertThat(found.outcome()).isEqualTo(outcome);
			assertExpiresAround(found, before.plus(RETENTION));
		});
	}

	@Test
	void aFenceGrowsWithEveryClaimOfTheKeyAndIsGivenOnlyToItsHolder() {
		String key = key("fence");
		ClaimResult first = store().tryClaim(key, "owner-1", null, LONG_LEASE);
		long firstFence = fence(first, key, "owner-1");
		assertThat(store().tryClaim(key, "owner-2", null, LONG_LEASE).fence()).as("a duplicate acquires no fence")
			.isEqualTo(ClaimResult.NO_FENCE);
		if (firstFence == ClaimResult.NO_FENCE) {
			assertThat(first.fenceOnRequest()).as("a store that gives no fence").isFalse();
			return;
		}
		assertThat(firstFence).isPositive();
		assertThat(store().release(key, "owner-1")).isTrue();
		ClaimResult second = store().tryClaim(key, "owner-2", null, LONG_LEASE);
		long secondFence = fence(second, key, "owner-2");
		assertThat(secondFence).as("a later claim of the key").isGreaterThan(firstFence);
		if (second.fenceOnRequest()) {
			assertThat(store().fence(key, "owner-2")).as("asked again while held").isGreaterThan(secondFence);
			assertThat(store().fence(key, "owner-1")).as("the owner whose claim is gone").isEqualTo(ClaimResult.NO_FENCE);
			assertThat(store().complete(key, "owner-2", "done", RETENTION)).isTrue();
			assertThat(store().fence(key, "owner-2")).as("a claim completed is no longer held")
				.isEqualTo(ClaimResult.NO_FENCE);
			assertThat(store().find(key)).hasValueSatisfying((record) -> assertThat(record.outcome()).isEqualTo("done"));
		}
	}

	// The fence the claim came with, or the one the store gives on request.
	private long fence(ClaimResult claim, String key, String owner) {
		assertThat(claim.isAcquired()).isTrue();
		return claim.fenceOnRequest() ? store().fence(key, owner) : claim.fence();
	}

	@Test
	void onlyTheOwnerCompletesReleasesOrExtends() {
		String key = key("k");
		store().tryClaim(key, "owner-1", null, LONG_LEASE);
		Instant before = clock().instant();
		assertThat(store().complete(key, "intruder", "x", RETENTION)).isFalse();
		assertThat(store().release(key, "intruder")).isFalse();
		assertThat(store().extend(key, "intruder", RETENTION)).isFalse();
		assertThat(store().find(key)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(record.owner()).isEqualTo("owner-1");
			assertThat(record.outcome()).isNull();
			assertThat(record.expiresAt()).as("an intruder's extend changes nothing")
				.isBefore(before.plus(LONG_LEASE).plus(EXPIRY_TOLERANCE));
		});
		assertThat(store().release(key, "owner-1")).isTrue();
		assertThat(store().find(key)).isEmpty();
		assertThat(store().tryClaim(key, "owner-2", null, LONG_LEASE).isAcquired()).as("a released key is free")
			.isTrue();
	}

	@Test
	void aCompletedRecordIsNotReleasedCompletedOrExtendedAgain() {
		String key = key("k");
		store().tryClaim(key, "owner-1", null, LONG_LEASE);
		Instant before = clock().instant();
		store().complete(key, "owner-1", "first", RETENTION);
		assertThat(store().release(key, "owner-1")).isFalse();
		assertThat(store().complete(key, "owner-1", "second", RETENTION)).isFalse();
		assertThat(store().extend(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().find(key)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(record.outcome()).isEqualTo("first");
			assertExpiresAround(record, before.plus(RETENTION));
		});
	}

	@Test
	void extendPushesTheLeaseOut() {
		String extended = key("extended");
		String control = key("control");
		store().tryClaim(extended, "owner-1", null, shortLease());
		Instant before = clock().instant();
		assertThat(store().extend(extended, "owner-1", LONG_LEASE)).isTrue();
		store().tryClaim(control, "owner-2", null, shortLease());
		elapse(shortLease());
		assertThat(store().find(control)).as("the unextended claim lapsed").isEmpty();
		assertThat(store().find(extended)).hasValueSatisfying((record) -> {
			assertThat(record.owner()).isEqualTo("owner-1");
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertExpiresAround(record, before.plus(LONG_LEASE));
		});
		assertThat(store().tryClaim(extended, "owner-3", null, LONG_LEASE).isAcquired()).isFalse();
	}

	@Test
	void writesWithoutBlockingAnswerAsTheBlockingOnesDo() {
		String completed = key("completed");
		String released = key("released");
		String token = key("token");
		if (!store().writesWithoutBlocking()) {
			assertThatExceptionOfType(UnsupportedOperationException.class)
				.as("a store that does not write without blocking says so when asked to")
				.isThrownBy(() -> store().completeAsync(completed, "owner-1", "x", RETENTION));
			return;
		}
		store().tryClaim(completed, "owner-1", null, shortLease());
		Instant before = clock().instant();
		assertThat(answer(store().extendAsync(completed, "intruder", LONG_LEASE))).isFalse();
		assertThat(answer(store().completeAsync(completed, "intruder", "x", RETENTION))).isFalse();
		assertThat(answer(store().releaseAsync(completed, "intruder"))).isFalse();
		assertThat(answer(store().extendAsync(completed, "owner-1", LONG_LEASE))).isTrue();
		assertThat(store().find(completed)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertExpiresAround(record, before.plus(LONG_LEASE));
		});
		assertThat(answer(store().completeAsync(completed, "owner-1", "first", RETENTION))).isTrue();
		assertThat(answer(store().completeFailureAsync(completed, "owner-1", "second", RETENTION))).isFalse();
		assertThat(answer(store().releaseAsync(completed, "owner-1"))).isFalse();
		assertThat(answer(store().extendAsync(completed, "owner-1", LONG_LEASE))).isFalse();
		assertThat(store().find(completed)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(record.outcome()).isEqualTo("first");
			assertExpiresAround(record, before.plus(RETENTION));
		});

		store().tryClaim(released, "owner-1", null, LONG_LEASE);
		assertThat(answer(store().releaseAsync(released, "owner-1"))).isTrue();
		assertThat(store().tryClaim(released, "owner-2", null, LONG_LEASE).isAcquired()).as("a released key is free")
			.isTrue();
		assertThat(answer(store().completeFailureAsync(released, "owner-2", "failed", RETENTION))).isTrue();
		assertThat(store().find(released)).hasValueSatisfying((record) -> assertThat(record.outcome()).isEqualTo("failed"));

		store().issueToken(token, LONG_LEASE);
		store().tryClaimToken(token, "owner-1", null, LONG_LEASE);
		assertThat(answer(store().releaseTokenClaimAsync(token, "intruder", LONG_LEASE))).isFalse();
		assertThat(answer(store().releaseTokenClaimAsync(token, "owner-1", LONG_LEASE))).isTrue();
		assertThat(store().tryClaimToken(token, "owner-2", null, LONG_LEASE).isAcquired())
			.as("a live token again")
			.isTrue();
	}

	@Test
	void claimsWithoutBlockingAnswerAsTheBlockingOnesDo() {
		String key = key("claimed");
		if (!store().claimsWithoutBlocking()) {
			assertThatExceptionOfType(UnsupportedOperationException.class)
				.as("a store that does not claim without blocking says so when asked to")
				.isThrownBy(() -> store().tryClaimAsync(key, "owner-1", "fp-1", LONG_LEASE));
			return;
		}
		Instant before = clock().instant();
		ClaimResult claim = answer(store().tryClaimAsync(key, "owner-1", "fp-1", LONG_LEASE));
		assertThat(claim.isAcquired()).isTrue();
		assertThat(fence(claim, key, "owner-1")).isNotNegative();
		ClaimResult running = answer(store().tryClaimAsync(key, "owner-2", "fp-1", LONG_LEASE));
		assertThat(running.isAcquired()).isFalse();
		assertThat(running.existing().state()).isEqualTo(RecordState.IN_PROGRESS);
		assertThat(running.existing().owner()).isEqualTo("owner-1");
		assertThat(running.existing().fingerprint()).isEqualTo("fp-1");
		assertExpiresAround(running.existing(), before.plus(LONG_LEASE));
		assertThat(store().complete(key, "owner-1", "first", RETENTION)).isTrue();
		ClaimResult duplicate = answer(store().tryClaimAsync(key, "owner-3", "fp-1", LONG_LEASE));
		assertThat(duplicate.existing().state()).isEqualTo(RecordState.COMPLETED);
		assertThat(duplicate.existing().owner()).isEqualTo("owner-1");
		assertThat(duplicate.existing().outcome()).isEqualTo("first");
		assertThat(store().find(key)).hasValueSatisfying((record) -> assertThat(record.outcome()).isEqualTo("first"));
	}

	private static <T> T answer(CompletionStage<T> answer) {
		try {
			return answer.toCompletableFuture().get(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			throw new IllegalStateException("The store did not answer", ex);
		}
	}

	@Test
	void aLapsedLeaseFreesTheKey() {
		String key = key("k");
		store().tryClaim(key, "owner-1", "fp", shortLease());
		elapse(shortLease());
		assertThat(store().find(key)).isEmpty();
		assertThat(store().tryClaim(key, "owner-2", "fp", LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().find(key)).hasValueSatisfying((r) -> assertThat(r.owner()).isEqualTo("owner-2"));
	}

	@Test
	void aLapsedOwnerCannotTouchTheNextClaim() {
		String key = key("k");
		store().tryClaim(key, "owner-1", null, shortLease());
		elapse(shortLease());
		assertThat(store().tryClaim(key, "owner-2", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().complete(key, "owner-1", "late", RETENTION)).isFalse();
		assertThat(store().release(key, "owner-1")).isFalse();
		assertThat(store().extend(key, "owner-1", RETENTION)).isFalse();
		assertThat(store().find(key)).hasValueSatisfying((record) -> {
			assertThat(record.owner()).isEqualTo("owner-2");
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(record.outcome()).isNull();
		});
	}

	@Test
	void aLapsedOwnerCannotCompleteOrExtendAFreeKey() {
		String key = key("k");
		store().tryClaim(key, "owner-1", null, shortLease());
		elapse(shortLease());
		assertThat(store().extend(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().complete(key, "owner-1", "late", RETENTION)).isFalse();
		assertThat(store().release(key, "owner-1")).isFalse();
		assertThat(store().find(key)).isEmpty();
	}

	@Test
	void aLapsedRetentionFreesTheKey() {
		String key = key("k");
		store().tryClaim(key, "owner-1", null, LONG_LEASE);
		store().complete(key, "owner-1", "outcome", shortLease());
		elapse(shortLease());
		assertThat(store().find(key)).isEmpty();
		assertThat(store().tryClaim(key, "owner-2", null, LONG_LEASE).isAcquired()).isTrue();
	}

	@Test
	void deleteRemovesWhateverTheStateOrOwner() {
		String claimed = key("claimed");
		String completed = key("completed");
		store().tryClaim(claimed, "owner-1", null, LONG_LEASE);
		store().tryClaim(completed, "owner-2", null, LONG_LEASE);
		store().complete(completed, "owner-2", "x", RETENTION);
		assertThat(store().delete(claimed)).isTrue();
		assertThat(store().delete(completed)).isTrue();
		assertThat(store().delete(completed)).as("nothing left to delete").isFalse();
		assertThat(store().find(completed)).isEmpty();
		assertThat(store().tryClaim(claimed, "owner-3", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().complete(claimed, "owner-1", "late", RETENTION)).as("the deleted owner is gone")
			.isFalse();
	}

	@Test
	void anUnknownKeyHasNothingToChange() {
		String key = key("unknown");
		assertThat(store().find(key)).isEmpty();
		assertThat(store().complete(key, "owner-1", "x", RETENTION)).isFalse();
		assertThat(store().release(key, "owner-1")).isFalse();
		assertThat(store().extend(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().delete(key)).isFalse();
		assertThat(store().find(key)).isEmpty();
	}

	@Test
	void racingClaimsAcquireTheKeyOnce() throws Exception {
		String key = key("raced");
		List<ClaimResult> results = ConcurrentCallers.race(32,
				() -> store().tryClaim(key, UUID.randomUUID().toString(), "fp", LONG_LEASE));
		List<ClaimResult> acquired = results.stream().filter(ClaimResult::isAcquired).toList();
		assertThat(acquired).hasSize(1);
		String winner = store().find(key).orElseThrow().owner();
		assertThat(results).filteredOn((result) -> !result.isAcquired())
			.hasSize(31)
			.allSatisfy((result) -> assertThat(result.existing().owner()).isEqualTo(winner));
	}

	@Test
	void aClaimConsumesAnIssuedTokenOnce() {
		String key = key("token");
		assertThat(store().issueToken(key, LONG_LEASE)).isTrue();
		assertThat(store().find(key)).as("a live token is not a record").isEmpty();
		Instant before = clock().instant();
		assertThat(store().tryClaimToken(key, "owner-1", "fp-1", LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().find(key)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(record.owner()).isEqualTo("owner-1");
			assertThat(record.fingerprint()).isEqualTo("fp-1");
			assertExpiresAround(record, before.plus(LONG_LEASE));
		});
		ClaimResult running = store().tryClaimToken(key, "owner-2", "fp-1", LONG_LEASE);
		assertThat(running.isAcquired()).isFalse();
		assertThat(running.isNoLiveToken()).isFalse();
		assertThat(running.existing().owner()).isEqualTo("owner-1");
		assertThat(store().complete(key, "owner-1", "done", RETENTION)).isTrue();
		ClaimResult duplicate = store().tryClaimToken(key, "owner-3", "fp-1", LONG_LEASE);
		assertThat(duplicate.existing().state()).isEqualTo(RecordState.COMPLETED);
		assertThat(duplicate.existing().outcome()).isEqualTo("done");
	}

	@Test
	void aTokenNeverIssuedClaimsNothing() {
		String key = key("never-issued");
		ClaimResult claim = store().tryClaimToken(key, "owner-1", "fp", LONG_LEASE);
		assertThat(claim.isNoLiveToken()).isTrue();
		assertThat(claim.isAcquired()).isFalse();
		assertThat(store().find(key)).as("nothing stored").isEmpty();
		assertThat(store().issueToken(key, LONG_LEASE)).as("the key is still free").isTrue();
	}

	@Test
	void anExpiredTokenClaimsNothing() {
		String expired = key("expired");
		String live = key("live");
		store().issueToken(expired, shortLease());
		store().issueToken(live, LONG_LEASE);
		elapse(shortLease());
		assertThat(store().tryClaimToken(expired, "owner-1", null, LONG_LEASE).isNoLiveToken()).isTrue();
		assertThat(store().find(expired)).isEmpty();
		assertThat(store().tryClaimToken(live, "owner-2", null, LONG_LEASE).isAcquired()).isTrue();
	}

	@Test
	void aTokenIsIssuedOnlyOnAFreeKey() {
		String token = key("issued");
		String record = key("record");
		assertThat(store().issueToken(token, LONG_LEASE)).isTrue();
		assertThat(store().issueToken(token, LONG_LEASE)).isFalse();
		store().tryClaim(record, "owner-1", null, LONG_LEASE);
		assertThat(store().issueToken(record, LONG_LEASE)).isFalse();
		assertThat(store().find(record)).hasValueSatisfying((r) -> assertThat(r.owner()).isEqualTo("owner-1"));
	}

	@Test
	void noOwnerCompletesReleasesOrExtendsALiveToken() {
		String key = key("token");
		store().issueToken(key, LONG_LEASE);
		assertThat(store().complete(key, "owner-1", "x", RETENTION)).isFalse();
		assertThat(store().release(key, "owner-1")).isFalse();
		assertThat(store().releaseTokenClaim(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().extend(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().tryClaimToken(key, "owner-2", null, LONG_LEASE).isAcquired()).as("still live").isTrue();
	}

	@Test
	void aReleasedTokenClaimLeavesALiveTokenForTheTtl() {
		String key = key("released");
		store().issueToken(key, LONG_LEASE);
		store().tryClaimToken(key, "owner-1", null, LONG_LEASE);
		assertThat(store().releaseTokenClaim(key, "intruder", LONG_LEASE)).isFalse();
		assertThat(store().releaseTokenClaim(key, "owner-1", shortLease())).isTrue();
		assertThat(store().releaseTokenClaim(key, "owner-1", shortLease())).as("released once").isFalse();
		assertThat(store().find(key)).as("a live token again, not a record").isEmpty();
		assertThat(store().tryClaimToken(key, "owner-2", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().releaseTokenClaim(key, "owner-2", shortLease())).isTrue();
		elapse(shortLease());
		assertThat(store().tryClaimToken(key, "owner-3", null, LONG_LEASE).isNoLiveToken())
			.as("the restored token lived for its ttl")
			.isTrue();
	}

	@Test
	void aCompletedTokenClaimIsNotReleasedIntoATokenAgain() {
		String key = key("completed");
		store().issueToken(key, LONG_LEASE);
		store().tryClaimToken(key, "owner-1", null, LONG_LEASE);
		store().complete(key, "owner-1", "done", RETENTION);
		assertThat(store().releaseTokenClaim(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().find(key)).hasValueSatisfying((r) -> assertThat(r.outcome()).isEqualTo("done"));
	}

	@Test
	void aLapsedTokenClaimLeavesNoToken() {
		String key = key("lapsed");
		store().issueToken(key, LONG_LEASE);
		store().tryClaimToken(key, "owner-1", null, shortLease());
		elapse(shortLease());
		assertThat(store().tryClaimToken(key, "owner-2", null, LONG_LEASE).isNoLiveToken()).isTrue();
		assertThat(store().releaseTokenClaim(key, "owner-1", LONG_LEASE)).isFalse();
	}

	@Test
	void deleteRevokesALiveToken() {
		String key = key("revoked");
		store().issueToken(key, LONG_LEASE);
		assertThat(store().delete(key)).isTrue();
		assertThat(store().tryClaimToken(key, "owner-1", null, LONG_LEASE).isNoLiveToken()).isTrue();
	}

	@Test
	void racingClaimsConsumeATokenOnce() throws Exception {
		String key = key("raced-token");
		store().issueToken(key, LONG_LEASE);
		List<ClaimResult> results = ConcurrentCallers.race(16,
				() -> store().tryClaimToken(key, UUID.randomUUID().toString(), "fp", LONG_LEASE));
		assertThat(results).filteredOn(ClaimResult::isAcquired).hasSize(1);
		String winner = store().find(key).orElseThrow().owner();
		assertThat(results).filteredOn((result) -> !result.isAcquired())
			.hasSize(15)
			.allSatisfy((result) -> assertThat(result.existing().owner()).isEqualTo(winner));
	}

	/**
	 * Many threads, few keys, random operations. Each thread that acquires a key marks itself the
	 * key's holder, and fails if another holder is marked: at most one owner per key at any time.
	 * Each completed outcome is noted before it is stored, and every later claim must see it: no
	 * completed record is lost. Intruders (fresh owner tokens) try to complete, release and extend
	 * held keys and must change nothing.
	 */
	@Test
	void fuzz() throws Exception {
		int threads = 16;
		List<String> releasedOnly = List.of(key("fuzz-r0"), key("fuzz-r1"), key("fuzz-r2"));
		List<String> completable = List.of(key("fuzz-c0"), key("fuzz-c1"), key("fuzz-c2"), key("fuzz-c3"));
		List<String> keys = new ArrayList<>(releasedOnly);
		keys.addAll(completable);
		Map<String, AtomicReference<String>> holders = new ConcurrentHashMap<>();
		keys.forEach((key) -> holders.put(key, new AtomicReference<>()));
		Map<String, String> completedOutcomes = new ConcurrentHashMap<>();
		AtomicInteger acquisitions = new AtomicInteger();
		AtomicInteger duplicates = new AtomicInteger();
		ConcurrentCallers.race(threads, () -> {
			ThreadLocalRandom random = ThreadLocalRandom.current();
			for (int i = 0; i < fuzzOperationsPerThread(); i++) {
				String key = keys.get(random.nextInt(keys.size()));
				String owner = UUID.randomUUID().toString();
				ClaimResult claim = store().tryClaim(key, owner, "fp", LONG_LEASE);
				if (!claim.isAcquired()) {
					duplicates.incrementAndGet();
					checkExisting(key, claim.existing(), completedOutcomes);
					continue;
				}
				acquisitions.incrementAndGet();
				if (completedOutcomes.containsKey(key)) {
					fail("Completed record of " + key + " lost: " + owner + " acquired the key again");
				}
				String rival = holders.get(key).getAndSet(owner);
				if (rival != null) {
					fail("Two owners of " + key + " at once: " + rival + " and " + owner);
				}
				for (int step = random.nextInt(4); step > 0; step--) {
					holdAndPoke(key, owner, random);
				}
				if (completable.contains(key) && random.nextInt(20) == 0) {
					String outcome = "outcome-of-" + owner;
					completedOutcomes.put(key, outcome);
					clearHolder(holders.get(key), key, owner);
					assertThat(store().complete(key, owner, outcome, RETENTION)).as("holder completes " + key).isTrue();
				}
				else {
					clearHolder(holders.get(key), key, owner);
					assertThat(store().release(key, owner)).as("holder releases " + key).isTrue();
				}
			}
			return null;
		});
		assertThat(acquisitions.get()).as("keys changed hands").isGreaterThan(threads);
		assertThat(duplicates.get()).as("claims met held keys").isPositive();
		completedOutcomes.forEach((key, outcome) -> assertThat(store().find(key))
			.hasValueSatisfying((record) -> assertThat(record.outcome()).isEqualTo(outcome)));
		for (String key : releasedOnly) {
			assertThat(store().find(key)).as("every claim of " + key + " was released").isEmpty();
		}
	}

	private void holdAndPoke(String key, String owner, ThreadLocalRandom random) {
		String intruder = UUID.randomUUID().toString();
		switch (random.nextInt(5)) {
			case 0 -> assertThat(store().extend(key, owner, LONG_LEASE)).as("holder extends " + key).isTrue();
			case 1 -> assertThat(store().complete(key, intruder, "intruded", RETENTION)).isFalse();
			case 2 -> assertThat(store().release(key, intruder)).isFalse();
			case 3 -> assertThat(store().extend(key, intruder, LONG_LEASE)).isFalse();
			default -> assertThat(store().find(key)).hasValueSatisfying((record) -> {
				assertThat(record.owner()).isEqualTo(owner);
				assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			});
		}
	}

	private static void checkExisting(String key, IdempotencyRecord existing, Map<String, String> completedOutcomes) {
		assertThat(existing.fingerprint()).isEqualTo("fp");
		if (existing.isCompleted()) {
			assertThat(existing.outcome()).as("outcome of " + key).isEqualTo(completedOutcomes.get(key));
		}
		else {
			assertThat(existing.outcome()).isNull();
		}
	}

	private static void clearHolder(AtomicReference<String> holder, String key, String owner) {
		if (!holder.compareAndSet(owner, null)) {
			fail("Holder of " + key + " changed while " + owner + " held it: " + holder.get());
		}
	}

	private static void assertExpiresAround(IdempotencyRecord record, Instant expected) {
		assertThat(record.expiresAt()).as("expiry of " + record.key())
			.isNotNull()
			.isBetween(expected.minus(EXPIRY_TOLERANCE), expected.plus(EXPIRY_TOLERANCE));
	}

}
