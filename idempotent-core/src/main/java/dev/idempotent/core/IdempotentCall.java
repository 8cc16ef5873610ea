package dev.idempotent.core;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One call to run at most once: who asks, for what, under which key and policy.
 *
 * @param operation the operation scope, e.g. {@code "orders"}
 * @param key the client's key as received, or {@code null} if it sent none
 * @param caller the caller scope (an authenticated principal), or {@code null}
 * @param fingerprint a digest of the request, compared on duplicates; {@code null} turns the check off
 * @param onDuplicate what a duplicate of a completed call gets
 * @param lease how long a running call's claim lives without renewal
 * @param retention how long a completed call's outcome is kept
 */
public record IdempotentCall(String operation, @Nullable String key, @Nullable String caller,
		@Nullable String fingerprint, DuplicatePolicy onDuplicate, Duration lease, Duration retention) {

	public IdempotentCall {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(onDuplicate, "onDuplicate");
		requirePositive(lease, "lease");
		requirePositive(retention, "retention");
	}

	private static void requirePositive(Duration duration, String name) {
		Objects.requireNonNull(duration, name);
		if (duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException(name + " must be positive, was " + duration);
		}
	}

}
