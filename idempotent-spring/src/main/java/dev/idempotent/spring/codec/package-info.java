/**
 * Internal; public for wiring. The outcome codec: a method's result or kept failure as JSON, read
 * back with the method's declared (generic) return type.
 */
@NullMarked
package dev.idempotent.spring.codec;

import org.jspecify.annotations.NullMarked;

