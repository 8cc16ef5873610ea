/*
 * Copyright the idempotent authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 *
 *      https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the License is
 * distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
 * implied. See the License for the specific language governing permissions and limitations under the
 * License.
 */
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
 * ({@link DuplicatePolicy#REJECT}). A duplicate whose request differs from the first (its
 * {@link #fingerprint()}) gets {@code 422}. If the method throws, its claim is released so a retry can
 * run, unless the exception is a business failure listed in {@link #keepOn()}: then it is kept, and a
 * duplicate gets the same failure again. If the store fails, the method does not run.
 * <p>
 * Works on any Spring bean method that is called through its proxy (controllers and services).
 * Return values are stored as JSON and read back with the method's declared generic return type. A
 * plain method (not a handler or listener) may return {@code CompletableFuture<T>} or
 * {@code CompletionStage<T>}: the key is claimed at the call, and the future's value, of type
 * {@code T}, is stored when it completes; {@code Mono}, {@code Flux}, other futures and suspend
 * functions are refused on the first call. On
 * a message listener ({@code @RabbitListener} and friends) a duplicate is not answered but skipped, so
 * the container acknowledges it, or requeued while its first delivery still runs.
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

	/**
	 * A SpEL expression over the method's arguments naming a further scope of the key, such as a
	 * tenant: {@code #request.tenantId}, {@code @tenants.current()}. Records are scoped by the
	 * operation, the authenticated caller and this scope. An expression that evaluates to
	 * {@code null} means no further scope.
	 */
	String scope() default "";

	/**
	 * Whether a duplicate must be the same request as the first: same HTTP method, path, parameters
	 * and body (JSON compared canonically, so key order and whitespace do not matter) for a web
	 * handler method, same arguments (as JSON) for any other method. A duplicate that differs gets
	 * {@code 422} and changes nothing.
	 */
	boolean fingerprint() default true;

	/** What a duplicate of a completed call gets. */
	DuplicatePolicy onDuplicate() default DuplicatePolicy.REPLAY;

	/**
	 * How long a duplicate waits for a running call with its key to finish, then gets its result
	 * (or runs itself, if the first call failed and released the key), e.g. {@code "2s"}; after that it
	 * gets {@code 409}. The waiting request holds its thread. Empty or {@code "0s"}: answer {@code 409}
	 * at once; on a message listener, empty means the lease and a second, after which the message is
	 * requeued.
	 */
	String awaitCompletion() default "";

	/**
	 * Business failures: exceptions (and their subclasses) that keep the key. The call is completed
	 * with the failure, and a duplicate gets it again: the same class with the same message and the
	 * same fields, rebuilt without any of its constructors running (its cause and stack trace are not
	 * kept). A failure that would not read back as it was is not kept, and its duplicates are refused.
	 * Added to {@code idempotent.keep-on}.
	 */
	Class<? extends Throwable>[] keepOn() default {};

	/**
	 * System failures: exceptions that release the key so a retry runs, which is what any exception
	 * not kept does; list one here to release a subclass of a {@link #keepOn()} type. The closest
	 * listed superclass of the thrown exception decides. Added to {@code idempotent.release-on}.
	 */
	Class<? extends Throwable>[] releaseOn() default {};

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

	/**
	 * Whether the key must be a one-time token issued to the caller for this operation, by
	 * {@link IdempotenceService#issueToken(String)} or the token endpoint
	 * ({@code idempotent.token.endpoint.enabled}). The first call consumes the token; a duplicate is
	 * answered per {@link #onDuplicate()}; a key that is no live token issued to this caller for this
	 * operation gets {@code 400} and changes nothing. A call released by a system failure leaves the
	 * token live again, for {@code idempotent.token.ttl}. Requires a {@link #name()}, by which clients
	 * ask for tokens, and no {@link #scope()}: a token already names one call.
	 */
	boolean token() default false;

}
