/**
 * Spring adapters for the idempotency engine: {@link dev.idempotent.spring.Idempotent}, the advisor
 * that applies it, key and caller resolution, the JSON outcome codec and
 * {@link dev.idempotent.spring.IdempotenceService}.
 */
@NullMarked
package dev.idempotent.spring;

import org.jspecify.annotations.NullMarked;
