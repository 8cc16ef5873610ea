/**
 * API. What an application uses: {@link dev.idempotent.spring.Idempotent} on a method,
 * {@link dev.idempotent.spring.IdempotenceService} to release, inspect and issue keys, and
 * {@link dev.idempotent.spring.IdempotencyCallerResolver} to scope keys by something other than the
 * principal. The machinery lives in the sub-packages.
 */
@NullMarked
package dev.idempotent.spring;

import org.jspecify.annotations.NullMarked;

