/**
 * SPI. The transport seam: an {@link dev.idempotent.spring.transport.IdempotencyTransport} says, for
 * one kind of invocation, where a call's key, caller and fingerprint come from and how its answers are
 * given. One is chosen per method when its operation is resolved; the
 * {@link dev.idempotent.spring.transport.MethodCallTransport} is the default, for plain method calls.
 * Servlet handlers ({@code web.servlet}) and message listeners ({@code messaging}) are implementations
 * in packages of their own.
 */
@NullMarked
package dev.idempotent.spring.transport;

import org.jspecify.annotations.NullMarked;

