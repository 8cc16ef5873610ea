/**
 * Idempotency keys for Spring's blocking HTTP clients, {@code RestClient} and {@code RestTemplate};
 * needs {@code spring-web} only.
 */
@NullMarked
package dev.idempotent.client.http;

import org.jspecify.annotations.NullMarked;
