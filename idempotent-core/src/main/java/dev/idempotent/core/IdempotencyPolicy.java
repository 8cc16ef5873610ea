package dev.idempotent.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How an operation treats its calls: resolved once per operation (an annotated method, say) and
 * shared by all its calls.
 *
 * @param onDuplicate what a duplicate of a completed call gets
 * @param lease how long a running call's claim lives without renewal
 * @param retention how long a completed call's outcome is kept
 * @param awaitCompletion how long a duplicate waits for a running call to finish before it is
 * answered "in progress"; {@link Duration#ZERO} answers at once
 * @param exceptions which exceptions keep the key and which release it
 */
public record IdempotencyPolicy(DuplicatePolicy onDuplicate, Duration lease, Duration retention,
		Duration awaitCompletion, ExceptionPolicy exceptions) {

	public IdempotencyPolicy {
		Objects.requireNonNull(onDuplicate, "onDuplicate");
		requirePositive(lease, "lease");
		requirePositive(retention, "retention");
		Objects.requireNonNull(awaitCompletion, "awaitCompletion");
		if (awaitCompletion.isNegative()) {
			throw new IllegalArgumentException("awaitCompletion must not be negative, was " + awaitCompletion);
		}
		Objects.requireNonNull(exceptions, "exceptions");
	}

	/** A policy that answers duplicates at once and releases the key on every exception. */
	public static IdempotencyPolicy of(DuplicatePolicy onDuplicate, Duration lease, Duration retention) {
		return new IdempotencyPolicy(onDuplicate, lease, retention, Duration.ZERO, ExceptionPolicy.RELEASE_ALL);
	}

	private static void requirePositive(Duration duration, String name) {
		Objects.requireNonNull(duration, name);
		if (duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException(name + " must be positive, was " + duration);
		}
	}

}
