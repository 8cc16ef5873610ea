/**
 * Micrometer observations of idempotent calls ({@code idempotency.requests}) and of store round trips
 * ({@code idempotency.store}): metrics, and spans where a tracer is present.
 */
@NullMarked
package dev.idempotent.spring.observation;

import org.jspecify.annotations.NullMarked;
