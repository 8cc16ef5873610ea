package dev.idempotent.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import dev.idempotent.core.DuplicatePolicy;

/**
 * Runs the annotated method at most once per idempotency key.
 * <p>
 * Before the method runs, the key is resolved ({@link #key()} as SpEL over the arguments, else the
 * {@link #header()} of the current HTTP request), validated, and claimed atomically in the store,
 * scoped by the operation {@link #name()} and the authenticated caller. The first call runs; a
 * duplicate gets {@code 409} while the first call is running and, once it completed, either the
 * first call's result again ({@link DuplicatePolicy#REPLAY}) or a {@code 409}
 * ({@link DuplicatePolicy#REJECT}). If the method throws, its claim is released so a retry can run.
 * If the store fails, the method does not run.
 * <p>
 * Works on any Spring bean method that is called through its proxy (controllers and services).
 * Return values are stored as JSON and read back with the method's declared generic return type.
 */
@Target({ ElementType.METHOD, ElementType.ANNOTATION_TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Idempotent {

	/**
	 * The operation: records are scoped by it, so two operations never share a key. Defaults to the
	 * method's class and name; set it to keep records valid across renames.
	 */
	String name() default "";

	/**
	 * A SpEL expression over the method's arguments giving the key, e.g. {@code #request.paymentId}
	 * or {@code #p0}. When empty, the key is read from {@link #header()}. An expression that
	 * evaluates to {@code null} means the request has no key.
	 */
	String key() default "";

	/**
	 * The HTTP request header carrying the key, used when {@link #key()} is empty. Defaults to
	 * {@code idempotent.header} ({@code Idempotency-Key}).
	 */
	String header() default "";

	/** What a duplicate of a completed call gets. */
	DuplicatePolicy onDuplicate() default DuplicatePolicy.REPLAY;

	/**
	 * How long a running call's claim lives, e.g. {@code "30s"} or {@code "PT30S"}; a claim whose
	 * process died lapses after it. Placeholders ({@code ${...}}) are resolved. Defaults to
	 * {@code idempotent.lease}.
	 */
	String lease() default "";

	/**
	 * How long a completed call's outcome is kept, e.g. {@code "24h"}. Placeholders are resolved.
	 * Defaults to {@code idempotent.retention}.
	 */
	String retention() default "";

}
