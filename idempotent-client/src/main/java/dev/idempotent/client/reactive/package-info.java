/**
 * Idempotency keys for Spring's reactive {@code WebClient}; needs {@code spring-webflux} only.
 */
@NullMarked
package dev.idempotent.client.reactive;

import org.jspecify.annotations.NullMarked;
