/**
 * SPI. What a store implements: {@link dev.idempotent.core.store.IdempotencyStore}, a handful of
 * atomic primitives over one record per storage key, the records and claim results they exchange, and
 * the {@link dev.idempotent.core.store.InMemoryIdempotencyStore} for one JVM. A store never decides
 * policy; the engine does. A store proves itself on the contract suite of the {@code idempotent-test}
 * module.
 */
@NullMarked
package dev.idempotent.core.store;

import org.jspecify.annotations.NullMarked;

