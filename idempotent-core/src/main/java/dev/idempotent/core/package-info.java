/**
 * API. The idempotency protocol, free of any framework: the
 * {@link dev.idempotent.core.IdempotencyEngine} that decides, the one-time
 * {@link dev.idempotent.core.IdempotencyTokens} and the operator's {@link dev.idempotent.core.IdempotencyRecords}
 * beside it, the policies of a call, and the exceptions a caller sees. Stores plug in below, through
 * {@link dev.idempotent.core.store}.
 */
@NullMarked
package dev.idempotent.core;

import org.jspecify.annotations.NullMarked;

