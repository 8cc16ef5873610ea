/**
 * API. The Redis store: Lua scripts on Spring Data Redis, one key per script, on standalone Redis,
 * Sentinel and Cluster.
 */
@NullMarked
package dev.idempotent.redis;

import org.jspecify.annotations.NullMarked;

