/**
 * Idempotency keys for OpenFeign clients (plain Feign and Spring Cloud OpenFeign alike); needs
 * {@code feign-core} only.
 */
@NullMarked
package dev.idempotent.client.feign;

import org.jspecify.annotations.NullMarked;
