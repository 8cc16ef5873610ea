/**
 * API. What every web transport answers alike: the problem details of the library's exceptions.
 * The servlet stack lives in {@code web.servlet}.
 */
@NullMarked
package dev.idempotent.spring.web;

import org.jspecify.annotations.NullMarked;

