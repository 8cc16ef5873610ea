package dev.idempotent.core;

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * One call to run at most once: who asks, for what, under which key and policy.
 *
 * @param operation the operation scope, e.g. {@code "orders"}
 * @param key the client's key as received, or {@code null} if it sent none
 * @param caller the caller scope (an authenticated principal), or {@code null}
 * @param scope a further scope, such as a tenant, or {@code null}
 * @param fingerprint a digest of the request, compared on duplicates; {@code null} turns the check off
 * @param policy how the operation treats duplicates, leases and exceptions
 */
public record IdempotencyCall(String operation, @Nullable String key, @Nullable String caller, @Nullable String scope,
		@Nullable String fingerprint, IdempotencyPolicy policy) {

	public IdempotencyCall {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(policy, "policy");
	}

}
