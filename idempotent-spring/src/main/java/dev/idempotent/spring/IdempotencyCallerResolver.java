package dev.idempotent.spring;

import org.jspecify.annotations.Nullable;

/**
 * Names the caller a call is scoped to, so two callers sending the same key never see each other's
 * records. Define a bean of this type to scope by something else (a tenant, an API client).
 */
@FunctionalInterface
public interface IdempotencyCallerResolver {

	/** The current caller, or {@code null} when the call is anonymous. */
	@Nullable String resolveCaller();

}
