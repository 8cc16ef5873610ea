/**
 * API. The JDBC store: one row per storage key, written in the caller's transaction when there is
 * one; its schema scripts ship beside it as {@code dev/idempotent/jdbc/schema-<platform>.sql}.
 */
@NullMarked
package dev.idempotent.jdbc;

import org.jspecify.annotations.NullMarked;

