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

import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.OutcomeCodec;
import dev.idempotent.spring.Idempotent;
import org.jspecify.annotations.Nullable;

import org.springframework.context.expression.AnnotatedElementKey;

/**
 * What {@link Idempotent} says about one method, resolved once by the operation source and
 * cached.
 *
 * @param name the operation scope
 * @param method the annotated method
 * @param methodKey the method and target class, for the expression cache
 * @param keyExpression the SpEL key expression, or {@code null} to read {@link #header}
 * @param scopeExpression the SpEL scope expression, or {@code null} for no further scope
 * @param header the HTTP header carrying the key when there is no expression
 * @param fingerprint whether duplicates must be the same request
 * @param transport the kind of invocation that carries the method's calls: where their key and
 * fingerprint come from, and how they are answered
 * @param policy duplicates, lease, retention, waiting and exceptions
 * @param codec reads and writes the method's outcome
 * @param returns what the method hands its caller, which decides how a call is run and answered
 */
public record IdempotencyOperation(String name, Method method, AnnotatedElementKey methodKey,
		@Nullable String keyExpression, @Nullable String scopeExpression, String header, boolean fingerprint,
		IdempotencyTransport transport, IdempotencyPolicy policy, OutcomeCodec<Object> codec, Returns returns) {

	/** An operation whose method returns a plain value. */
	public IdempotencyOperation(String name, Method method, AnnotatedElementKey methodKey,
			@Nullable String keyExpression, @Nullable String scopeExpression, String header, boolean fingerprint,
			IdempotencyTransport transport, IdempotencyPolicy policy, OutcomeCodec<Object> codec) {
		this(name, method, methodKey, keyExpression, scopeExpression, header, fingerprint, transport, policy, codec,
				Returns.VALUE);
	}

	/** What a method hands its caller, read once from its signature. */
	public enum Returns {

		/** A plain value (or nothing). */
		VALUE,

		/** A {@code CompletableFuture} or {@code CompletionStage}. */
		FUTURE,

		/** A Reactor {@code Mono}. */
		MONO,

		/** A Reactor {@code Flux}. */
		FLUX,

		/** A Kotlin {@code suspend} function's value, handed to the interceptor as a {@code Mono}. */
		SUSPEND;

		/** Whether the call starts on subscription: a {@code Mono}, a {@code Flux}, a {@code suspend} function. */
		public boolean isPublisher() {
			return this == MONO || this == FLUX || this == SUSPEND;
		}

	}

}
