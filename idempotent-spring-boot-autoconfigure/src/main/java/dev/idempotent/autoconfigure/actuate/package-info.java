/**
 * API. The {@code idempotency} actuator endpoint: inspect a record and release a stuck key, and its
 * auto-configuration.
 */
@NullMarked
package dev.idempotent.autoconfigure.actuate;

import org.jspecify.annotations.NullMarked;

