/**
 * API. Micrometer observations of idempotent calls ({@code idempotency.requests}) and of store round
 * trips ({@code idempotency.store}): metrics, and spans where a tracer is present. Define a convention
 * bean to rename or tag them.
 */
@NullMarked
package dev.idempotent.spring.observation;

import org.jspecify.annotations.NullMarked;

