/**
 * Auto-configuration of the client side: idempotency keys on the HTTP clients Boot builds.
 */
@NullMarked
package dev.idempotent.autoconfigure.client;

import org.jspecify.annotations.NullMarked;
