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
package dev.idempotent.spring.transport;

import java.lang.reflect.Method;
import java.time.Duration;

import dev.idempotent.spring.IdempotencyCallerResolver;
import org.jspecify.annotations.Nullable;

/**
 * One kind of invocation of an {@link dev.idempotent.spring.Idempotent} method: a servlet web
 * handler, a message listener, a plain method call. Chosen once per method, when its operation is
 * resolved: the first transport that {@linkplain #supports(Method) supports} the method carries all
 * its calls. It says where a call's key, caller and fingerprint come from, and how the answers of
 * the engine (a fresh result, a replay, a duplicate, a call in progress, a failure) reach whoever
 * invoked the method.
 * <p>
 * Adding a kind of invocation (a reactive web handler, say) is one
 * implementation of this interface, registered as a bean; the interceptor, the fingerprinter and
 * the operation source do not change.
 */
public interface IdempotencyTransport {

	/** Whether this transport carries the calls of a method; asked once per method. */
	boolean supports(Method method);

	/**
	 * Whether this transport carries the calls of methods that return a {@code CompletableFuture} or
	 * {@code CompletionStage}; asked once per method, and by default no. For such a method,
	 * {@link IdempotencyInvocation#execute} answers with the future the caller gets: one that completes
	 * once the outcome is stored, or an already completed replay.
	 */
	default boolean supportsFutures() {
		return false;
	}

	/**
	 * Whether this transport carries the calls of methods that return a Reactor {@code Mono} or
	 * {@code Flux}; asked once per method, and by default no. Such a call starts on subscription, with
	 * the subscriber's context in {@link ReactiveCallContext}; {@link IdempotencyInvocation#execute}
	 * answers it with the future of the method's value.
	 */
	default boolean supportsPublishers() {
		return false;
	}

	/**
	 * Whether this transport carries only methods that return a {@code Mono} or a {@code Flux}: those
	 * whose calls must not block the thread they are made on (a WebFlux handler's event loop). By
	 * default no.
	 */
	default boolean requiresPublishers() {
		return false;
	}

	/**
	 * How long a duplicate of a running call waits for its answer when the annotation does not say
	 * ({@code awaitCompletion}); by default it does not wait.
	 * @param lease the operation's lease
	 */
	default Duration awaitCompletion(Duration lease) {
		return Duration.ZERO;
	}

	/**
	 * The key an invocation carries outside its arguments, read when the annotation names no key
	 * expression: the value of the named header, say.
	 * @param header the header the operation names
	 * @return the raw key, or {@code null} if the invocation carries none
	 */
	@Nullable String key(String header);

	/**
	 * The key an invocation carries outside the annotation's expression, read when it names none: by
	 * default {@link #key(String)}. A transport whose invocations carry their key in an argument (a
	 * message listener's record, say) reads it here.
	 * @param header the header the operation names
	 * @param method the annotated method
	 * @param arguments its arguments
	 * @return the raw key, or {@code null} if the invocation carries none
	 */
	default @Nullable String key(String header, Method method, Object[] arguments) {
		return key(header);
	}

	/**
	 * The caller the call is scoped to.
	 * @param callers the application's resolver
	 */
	default @Nullable String caller(IdempotencyCallerResolver callers) {
		return callers.resolveCaller();
	}

	/**
	 * Adds what identifies a request of this kind to its fingerprint: a duplicate must add the same.
	 * @param method the annotated method
	 * @param arguments its arguments
	 * @param inputs where the parts go
	 */
	void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs);

	/**
	 * Marks the answer of the invocation being served as a replay of an earlier call, for a call whose
	 * replay is known only after {@link #invoke} returned: a reactive call that claims without
	 * blocking. Called with the subscriber's context in {@link ReactiveCallContext}. By default nothing.
	 */
	default void markReplayed() {
	}

	/**
	 * Runs one call through the engine and answers it the way this kind of invocation expects.
	 * @return what the caller of the method gets
	 * @throws Throwable what the caller of the method gets instead
	 */
	@Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable;

}
