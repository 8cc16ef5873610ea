package dev.idempotent.core;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What {@link IdempotencyStore#tryClaim} found: either the claim was acquired, or the record that
 * already holds the key, read in the same atomic step.
 */
public final class ClaimResult {

	private static final ClaimResult ACQUIRED = new ClaimResult(null);

	private final @Nullable IdempotencyRecord existing;

	private ClaimResult(@Nullable IdempotencyRecord existing) {
		this.existing = existing;
	}

	public static ClaimResult acquired() {
		return ACQUIRED;
	}

	public static ClaimResult existing(IdempotencyRecord record) {
		return new ClaimResult(Objects.requireNonNull(record, "record"));
	}

	public boolean isAcquired() {
		return this.existing == null;
	}

	/**
	 * The record that holds the key.
	 * @throws IllegalStateException if the claim was acquired
	 */
	public IdempotencyRecord existing() {
		if (this.existing == null) {
			throw new IllegalStateException("The claim was acquired; there is no existing record");
		}
		return this.existing;
	}

	@Override
	public String toString() {
		return (this.existing != null) ? "ClaimResult[existing=" + this.existing.state() + "]" : "ClaimResult[acquired]";
	}

}
