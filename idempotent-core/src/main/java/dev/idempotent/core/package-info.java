/**
 * The idempotency protocol, free of any framework: the {@link dev.idempotent.core.IdempotencyEngine}
 * that decides, the {@link dev.idempotent.core.IdempotencyStore} SPI that stores, and the exceptions
 * a caller sees.
 */
@NullMarked
package dev.idempotent.core;

import org.jspecify.annotations.NullMarked;
