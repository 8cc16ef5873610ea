/**
 * Internal: Spring Boot wiring, no logic of its own. Auto-configuration of
 * {@link dev.idempotent.spring.Idempotent}: the store chosen by {@code idempotent.store.type}, the engine,
 * the advisor, the transports, problem details and the token endpoint. Its API is the
 * {@code idempotent.*} properties, bound to {@link dev.idempotent.autoconfigure.IdempotencyProperties}.
 */
@NullMarked
package dev.idempotent.autoconfigure;

import org.jspecify.annotations.NullMarked;

