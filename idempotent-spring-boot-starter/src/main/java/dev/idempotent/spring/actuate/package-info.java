/**
 * The {@code idempotency} actuator endpoint: inspect a record and release a stuck key.
 */
@NullMarked
package dev.idempotent.spring.actuate;

import org.jspecify.annotations.NullMarked;
