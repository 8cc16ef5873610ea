/**
 * Internal; public for wiring. The advisor and interceptor that apply
 * {@link dev.idempotent.spring.Idempotent}, the operation source that reads each annotated method once,
 * and the key resolver and fingerprinter that the transports and the interceptor use. An application
 * replaces one by defining a bean of its type; the classes hold no transport-specific code.
 */
@NullMarked
package dev.idempotent.spring.interceptor;

import org.jspecify.annotations.NullMarked;

