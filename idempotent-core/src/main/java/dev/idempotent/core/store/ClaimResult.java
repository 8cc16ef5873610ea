package dev.idempotent.core.store;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What {@link IdempotencyStore#tryClaim} found: either the claim was acquired, or the record that
 * already holds the key, read in the same atomic step. A claim with a one-time token
 * ({@link IdempotencyStore#tryClaimToken}) may also find no live token under the key.
 */
public final class ClaimResult {

	private static final ClaimResult ACQUIRED = new ClaimResult(null, false);

	private static final ClaimResult NO_LIVE_TOKEN = new ClaimResult(null, true);

	private final @Nullable IdempotencyRecord existing;

	private final boolean noLiveToken;

	private ClaimResult(@Nullable IdempotencyRecord existing, boolean noLiveToken) {
		this.existing = existing;
		this.noLiveToken = noLiveToken;
	}

	public static ClaimResult acquired() {
		return ACQUIRED;
	}

	public static ClaimResult existing(IdempotencyRecord record) {
		return new ClaimResult(Objects.requireNonNull(record, "record"), false);
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
		return this.noLiveToken ? "ClaimResult[noLiveToken]" : "ClaimResult[acquired]";
	}

}
