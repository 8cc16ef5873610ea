/**
 * The Redis store: Lua scripts on Spring Data Redis.
 */
@NullMarked
package dev.idempotent.spring.redis;

import org.jspecify.annotations.NullMarked;
