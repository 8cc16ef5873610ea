/**
 * Spring MVC integration: library exceptions as RFC 9457 problem details.
 */
@NullMarked
package dev.idempotent.spring.web;

import org.jspecify.annotations.NullMarked;
