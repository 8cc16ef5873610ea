/**
 * Auto-configuration of {@link dev.idempotent.spring.Idempotent}.
 */
@NullMarked
package dev.idempotent.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
