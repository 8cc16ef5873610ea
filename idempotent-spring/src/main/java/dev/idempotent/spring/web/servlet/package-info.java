/**
 * Internal; public for wiring. The servlet transport: Spring MVC handler methods, fingerprinted by
 * their request, the request body kept for it, library exceptions as RFC 9457 problem details, and the
 * one-time token endpoint.
 */
@NullMarked
package dev.idempotent.spring.web.servlet;

import org.jspecify.annotations.NullMarked;

