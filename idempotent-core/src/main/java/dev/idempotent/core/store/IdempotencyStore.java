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
package dev.idempotent.core.store;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.jspecify.annotations.Nullable;

/**
 * The storage SPI: a handful of atomic primitives on one storage key each. A store never decides
 * policy; {@link dev.idempotent.core.IdempotencyEngine} does.
 * <p>
 * Every write carries a time to live, so nothing lives forever: an {@link RecordState#IN_PROGRESS}
 * record lives for its lease, a {@link RecordState#COMPLETED} one for its retention. Every write
 * after the claim is guarded by the owner token, so a caller whose lease lapsed can never change a
 * record that somebody else now holds.
 * <p>
 * A store signals a storage failure by throwing any {@link RuntimeException}; the engine turns it
 * into {@link dev.idempotent.core.IdempotencyStorageUnavailableException} and fails closed.
 * <h2>One-time tokens</h2>
 * An operation may require its key to be a token issued beforehand. A live token sits under the
 * storage key its call will claim, so issuing, consuming and restoring it each touch that one key:
 * {@link #issueToken}, {@link #tryClaimToken} and {@link #releaseTokenClaim}. A live token is not a
 * record: {@link #find} does not show it, and no owner can complete, release or extend it;
 * {@link #delete} revokes it. The defaults throw {@link UnsupportedOperationException}, so a store
 * written before tokens existed keeps working for every operation that does not use them.
 */
public interface IdempotencyStore {

	/**
	 * Atomically creates an {@link RecordState#IN_PROGRESS} record if the key is free.
	 * @param key the storage key
	 * @param owner the random token of this claim
	 * @param fingerprint the request fingerprint to store, or {@code null}
	 * @param lease how long the claim lives unless completed, released or extended
	 * @return acquired (with its {@linkplain ClaimResult#fence() fence} if the store gives one, or to
	 * read it {@linkplain ClaimResult#acquiredFenceOnRequest() on request}), or the record that already
	 * holds the key
	 */
	ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease);

	/**
	 * The fencing value of the owner's claim, read now, for a claim acquired with
	 * {@link ClaimResult#acquiredFenceOnRequest()}. Read while the owner holds the key, it is greater
	 * than the fence of any earlier claim of the key and lower than that of any later one, which can
	 * only be made once this claim is gone. The default throws {@link UnsupportedOperationException}:
	 * a store whose claims carry their fence never needs it.
	 * @return the fence, or {@link ClaimResult#NO_FENCE} when the owner no longer holds the key
	 */
	default long fence(String key, String owner) {
		throw new UnsupportedOperationException(getClass().getName() + " gives no fence on request");
	}

	/**
	 * Turns the owner's {@link RecordState#IN_PROGRESS} record into a {@link RecordState#COMPLETED}
	 * one holding the outcome, to live for the retention.
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	boolean complete(String key, String owner, String outcome, Duration retention);

	/**
	 * Like {@link #complete}, for a kept business failure: the failure is the call's final answer, so
	 * its record stands even when the caller's transaction rolls back (as it does for most
	 * exceptions). A store that writes in the caller's transaction ({@link #joinsTransaction}) must
	 * write it again, outside that transaction, once it rolled back; the default is {@link #complete}.
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	default boolean completeFailure(String key, String owner, String outcome, Duration retention) {
		return complete(key, owner, outcome, retention);
	}

	/**
	 * Whether the owner's claim was written in the caller's still-running transaction, so that it
	 * commits or rolls back with the business data. The engine completes or releases such a claim at
	 * once; any other claim made while a transaction runs is completed or released only after that
	 * transaction ended. The default is {@code false}: the store keeps its own consistency.
	 */
	default boolean joinsTransaction(String key, String owner) {
		return false;
	}

	/**
	 * Removes the owner's {@link RecordState#IN_PROGRESS} record (compare and delete).
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	boolean release(String key, String owner);

	/**
	 * Renews the lease of the owner's {@link RecordState#IN_PROGRESS} record.
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	boolean extend(String key, String owner, Duration lease);

	/**
	 * Removes the record whatever its state or owner: an operator's repair.
	 * @return whether a record was removed
	 */
	boolean delete(String key);

	/** Reads the record, if there is one. */
	Optional<IdempotencyRecord> find(String key);

	/**
	 * Atomically places a live one-time token under a free key, to live for the time to live.
	 * @param key the storage key a call with this token will claim
	 * @param ttl how long the token stays live unless a claim consumes it
	 * @return {@code false} when the key is taken (nothing changed)
	 */
	default boolean issueToken(String key, Duration ttl) {
		throw unsupported();
	}

	/**
	 * Like {@link #tryClaim}, for an operation whose keys are one-time tokens: atomically consumes the
	 * live token under the key and creates the {@link RecordState#IN_PROGRESS} record in its place.
	 * @return acquired (the token was consumed), the record that already holds the key (the token was
	 * consumed before), or {@link ClaimResult#noLiveToken()} when the key holds neither (the token was
	 * never issued, or expired; nothing changed)
	 */
	default ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		throw unsupported();
	}

	/**
	 * Like {@link #release}, for a claim that consumed a token: the owner's
	 * {@link RecordState#IN_PROGRESS} record becomes a live token again, to live for the time to
	 * live, so a retry can run with the same token.
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	default boolean releaseTokenClaim(String key, String owner, Duration ttl) {
		throw unsupported();
	}

	/**
	 * Whether {@link #tryClaimAsync} and {@link #tryClaimTokenAsync} claim without blocking the calling
	 * thread: a reactive caller then claims on its own thread instead of moving to one that may block.
	 * By default no.
	 */
	default boolean claimsWithoutBlocking() {
		return false;
	}

	/**
	 * {@link #tryClaim}, without blocking the calling thread: the answer completes on a thread of the
	 * store's (its client's I/O thread, say), or fails as {@link #tryClaim} would throw, within the
	 * store's own timeout. Supported only when {@link #claimsWithoutBlocking()} says so.
	 */
	default CompletionStage<ClaimResult> tryClaimAsync(String key, String owner, @Nullable String fingerprint,
			Duration lease) {
		throw new UnsupportedOperationException(getClass().getName() + " does not claim without blocking");
	}

	/**
	 * {@link #tryClaimToken}, without blocking the calling thread, as {@link #tryClaimAsync}.
	 */
	default CompletionStage<ClaimResult> tryClaimTokenAsync(String key, String owner, @Nullable String fingerprint,
			Duration lease) {
		throw new UnsupportedOperationException(getClass().getName() + " does not claim without blocking");
	}

	/**
	 * Whether the writes that end or renew a claim ({@link #completeAsync}, {@link #completeFailureAsync},
	 * {@link #releaseAsync}, {@link #releaseTokenClaimAsync} and {@link #extendAsync}) run without blocking
	 * the calling thread: the engine then stores the outcome of a call that returned a future, and renews
	 * leases, without holding a thread while the store answers. By default no: those calls block a thread
	 * of the library's own, never the caller's event loop.
	 */
	default boolean writesWithoutBlocking() {
		return false;
	}

	/**
	 * {@link #complete}, without blocking the calling thread: the answer completes on a thread of the
	 * store's, or fails as {@link #complete} would throw, within the store's own timeout. Supported only
	 * when {@link #writesWithoutBlocking()} says so.
	 */
	default CompletionStage<Boolean> completeAsync(String key, String owner, String outcome, Duration retention) {
		throw new UnsupportedOperationException(getClass().getName() + " does not write without blocking");
	}

	/**
	 * {@link #completeFailure}, without blocking the calling thread, as {@link #completeAsync}; the default
	 * is {@link #completeAsync}.
	 */
	default CompletionStage<Boolean> completeFailureAsync(String key, String owner, String outcome,
			Duration retention) {
		return completeAsync(key, owner, outcome, retention);
	}

	/**
	 * {@link #release}, without blocking the calling thread, as {@link #completeAsync}.
	 */
	default CompletionStage<Boolean> releaseAsync(String key, String owner) {
		throw new UnsupportedOperationException(getClass().getName() + " does not write without blocking");
	}

	/**
	 * {@link #releaseTokenClaim}, without blocking the calling thread, as {@link #completeAsync}.
	 */
	default CompletionStage<Boolean> releaseTokenClaimAsync(String key, String owner, Duration ttl) {
		throw new UnsupportedOperationException(getClass().getName() + " does not write without blocking");
	}

	/**
	 * {@link #extend}, without blocking the calling thread, as {@link #completeAsync}.
	 */
	default CompletionStage<Boolean> extendAsync(String key, String owner, Duration lease) {
		throw new UnsupportedOperationException(getClass().getName() + " does not write without blocking");
	}

	private UnsupportedOperationException unsupported() {
		return new UnsupportedOperationException(getClass().getName() + " does not support one-time tokens: "
				+ "implement issueToken, tryClaimToken and releaseTokenClaim of IdempotencyStore to use "
				+ "@Idempotent operations that require a token");
	}

}
