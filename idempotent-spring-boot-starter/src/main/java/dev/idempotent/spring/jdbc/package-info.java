/**
 * The JDBC store: one row per storage key, written in the caller's transaction when there is one.
 */
@NullMarked
package dev.idempotent.spring.jdbc;

import org.jspecify.annotations.NullMarked;
