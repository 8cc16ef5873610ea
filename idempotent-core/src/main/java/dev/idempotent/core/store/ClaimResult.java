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

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What {@link IdempotencyStore#tryClaim} found: either the claim was acquired, or the record that
 * already holds the key, read in the same atomic step. A claim with a one-time token
 * ({@link IdempotencyStore#tryClaimToken}) may also find no live token under the key.
 */
public final class ClaimResult {

	/** The {@link #fence()} of a claim whose store gives none. */
	public static final long NO_FENCE = 0;

	private static final ClaimResult ACQUIRED = new ClaimResult(null, false, NO_FENCE, false);

	private static final ClaimResult ACQUIRED_FENCE_ON_REQUEST = new ClaimResult(null, false, NO_FENCE, true);

	private static final ClaimResult NO_LIVE_TOKEN = new ClaimResult(null, true, NO_FENCE, false);

	private final @Nullable IdempotencyRecord existing;

	private final boolean noLiveToken;

	private final long fence;

	private final boolean fenceOnRequest;

	private ClaimResult(@Nullable IdempotencyRecord existing, boolean noLiveToken, long fence,
			boolean fenceOnRequest) {
		this.existing = existing;
		this.noLiveToken = noLiveToken;
		this.fence = fence;
		this.fenceOnRequest = fenceOnRequest;
	}

	/** The claim was acquired, by a store that gives no fencing value. */
	public static ClaimResult acquired() {
		return ACQUIRED;
	}

	/**
	 * The claim was acquired, with its fencing value.
	 * @param fence a positive value that grows with every claim of the key: a later claim of the same key
	 * (after a release or a lapsed lease) gets a greater one
	 */
	public static ClaimResult acquired(long fence) {
		if (fence <= NO_FENCE) {
			throw new IllegalArgumentException("A fence is positive, was " + fence);
		}
		return new ClaimResult(null, false, fence, false);
	}

	/**
	 * The claim was acquired, and its fencing value is read only when asked for, with
	 * {@link IdempotencyStore#fence}: a store whose claim would cost more if it read its clock too.
	 */
	public static ClaimResult acquiredFenceOnRequest() {
		return ACQUIRED_FENCE_ON_REQUEST;
	}

	public static ClaimResult existing(IdempotencyRecord record) {
		return new ClaimResult(Objects.requireNonNull(record, "record"), false, NO_FENCE, false);
	}

	/** A token claim found neither a live token nor a record: the token was never issued or expired. */
	public static ClaimResult noLiveToken() {
		return NO_LIVE_TOKEN;
	}

	public boolean isAcquired() {
		return this.existing == null && !this.noLiveToken;
	}

	/** Whether a token claim found neither a live token nor a record under the key. */
	public boolean isNoLiveToken() {
		return this.noLiveToken;
	}

	/**
	 * The fencing value of an acquired claim: business code passes it with its writes, and the
	 * resource refuses a write whose fence is lower than one it has seen, so a caller whose lease
	 * lapsed cannot overwrite the work of the caller that claimed the key after it.
	 * @return the fence, or {@link #NO_FENCE} when the store gives none, reads it on request
	 * ({@link #fenceOnRequest()}), or the claim was not acquired
	 */
	public long fence() {
		return this.fence;
	}

	/** Whether the acquired claim's fence is read when asked for, with {@link IdempotencyStore#fence}. */
	public boolean fenceOnRequest() {
		return this.fenceOnRequest;
	}

	/**
	 * The record that holds the key.
	 * @throws IllegalStateException if the claim was acquired or found no live token
	 */
	public IdempotencyRecord existing() {
		if (this.existing == null) {
			throw new IllegalStateException(this.noLiveToken ? "No live token and no record under the key"
					: "The claim was acquired; there is no existing record");
		}
		return this.existing;
	}

	@Override
	public String toString() {
		if (this.existing != null) {
			return "ClaimResult[existing=" + this.existing.state() + "]";
		}
		if (this.noLiveToken) {
			return "ClaimResult[noLiveToken]";
		}
		return "ClaimResult[acquired, fence=" + (this.fenceOnRequest ? "on request" : this.fence) + "]";
	}

}
