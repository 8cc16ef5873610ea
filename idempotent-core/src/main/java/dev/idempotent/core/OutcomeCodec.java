package dev.idempotent.core;

import org.jspecify.annotations.Nullable;

/**
 * Turns a call's result into the text a store keeps, and back. Implementations must round-trip the
 * method's declared type; they must never use Java serialization.
 *
 * @param <T> the result type
 */
public interface OutcomeCodec<T> {

	String encode(@Nullable T result);

	@Nullable T decode(String outcome);

}
