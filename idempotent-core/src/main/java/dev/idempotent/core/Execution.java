package dev.idempotent.core;

import org.jspecify.annotations.Nullable;

/**
 * The result an idempotent call hands back.
 *
 * @param value the method's return value, or the first call's when replayed
 * @param replayed whether the value is a replay of an earlier call rather than a fresh execution
 * @param <T> the result type
 */
public record Execution<T>(@Nullable T value, boolean replayed) {
}
