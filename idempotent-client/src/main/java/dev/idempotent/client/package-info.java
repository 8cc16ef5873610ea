/**
 * Idempotency keys on the calling side: an {@link dev.idempotent.client.IdempotencyKeyPolicy} says
 * which requests get a key, in which header, made how; an {@link dev.idempotent.client.IdempotencyKeyScope}
 * binds one key to a logical call whose retries happen outside the HTTP client. The interceptors for
 * each client family live in the sub-packages and need only that family on the class path.
 */
@NullMarked
package dev.idempotent.client;

import org.jspecify.annotations.NullMarked;
