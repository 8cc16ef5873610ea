/**
 * API for store authors and tests. The {@link dev.idempotent.test.IdempotencyStoreContractTest}
 * that every store extends, ours and a third party's alike, and what tests of idempotent code need: a
 * {@link dev.idempotent.test.ManualClock}, a {@link dev.idempotent.test.FaultInjectingIdempotencyStore},
 * a {@link dev.idempotent.test.NoOpIdempotencyStore}, and helpers to race callers and wait for a condition.
 */
@NullMarked
package dev.idempotent.test;

import org.jspecify.annotations.NullMarked;

