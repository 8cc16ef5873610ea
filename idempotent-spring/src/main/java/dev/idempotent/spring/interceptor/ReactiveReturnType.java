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
package dev.idempotent.spring.interceptor;

import java.lang.reflect.Method;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.OutcomeCodec;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import dev.idempotent.spring.transport.ReactiveCallContext;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.ContextView;

import org.springframework.core.KotlinDetector;
import org.springframework.core.ResolvableType;

/**
 * A method declared to return a Reactor {@code Mono} or {@code Flux}, or a Kotlin {@code suspend}
 * function (guarded as a {@code Mono} of its value). Nothing happens when it is called: the call
 * starts when its answer is subscribed to, with the subscriber's context bound to the thread
 * ({@link ReactiveCallContext#start}), and so is its reactive security context (as Spring Security's
 * {@code SecurityContextHolder} context), while the transport reads the call's key, caller and
 * fingerprint. With a store that claims without blocking the call starts on the subscriber's thread
 * and the engine claims the key asynchronously, then subscribes to the method's publisher, or answers
 * the duplicate, where the store's answer arrives; with any other store it starts on a bounded elastic
 * thread, where the claim may block. The method's value, a {@code Flux}'s elements collected in a
 * list, is stored once its publisher completes, and then handed to the subscriber: with a store that
 * writes without blocking (Redis through Lettuce) no thread waits for that write, and the value goes
 * on where the store's answer arrives; with any other store the write runs on a thread of the
 * library's own. A duplicate gets the same value back, a {@code Flux} element for element.
 * <p>
 * Cancellation: a subscriber that cancels before the call started claims nothing and runs nothing.
 * Once the key is claimed the method's publisher runs to its end whatever the subscriber does, and its
 * outcome is stored: a duplicate gets it, and the work never runs twice.
 * <p>
 * This class names no Reactor type in what the interceptor calls on every method; the work is done by
 * a nested class, loaded only for a method that returns a publisher.
 */
final class ReactiveReturnType {

	private static final String MONO = "reactor.core.publisher.Mono";

	private static final String FLUX = "reactor.core.publisher.Flux";

	private ReactiveReturnType() {
	}

	/** Whether the method returns a {@code Mono} or a {@code Flux}, or is a Kotlin {@code suspend} function. */
	static boolean returnsPublisher(Method method) {
		String type = method.getReturnType().getName();
		return type.equals(MONO) || type.equals(FLUX) || isSuspending(method);
	}

	/**
	 * Whether the method is a Kotlin {@code suspend} function. Spring's proxies hand such a call to an
	 * interceptor as a method returning a {@code Mono} of its value, and turn the {@code Mono} the
	 * interceptor returns back into the coroutine's result.
	 */
	static boolean isSuspending(Method method) {
		return KotlinDetector.isSuspendingFunction(method);
	}

	private static boolean returnsFlux(Method method) {
		return method.getReturnType().getName().equals(FLUX);
	}

	/** What a method that {@linkplain #returnsPublisher returns a publisher} hands its caller. */
	static IdempotencyOperation.Returns returns(Method method) {
		return isSuspending(method) ? IdempotencyOperation.Returns.SUSPEND
				: returnsFlux(method) ? IdempotencyOperation.Returns.FLUX : IdempotencyOperation.Returns.MONO;
	}

	/**
	 * The type of the value stored for a call: a {@code Mono<T>}'s {@code T}, a {@code Flux<T>}'s
	 * {@code List<T>}.
	 */
	static ResolvableType valueType(Method method) {
		if (isSuspending(method)) {
			// The function's Kotlin return type, which Spring reads with Kotlin reflection.
			return ResolvableType.forMethodReturnType(method);
		}
		ResolvableType element = ResolvableType.forMethodReturnType(method).getGeneric(0);
		return returnsFlux(method) ? ResolvableType.forClassWithGenerics(List.class, element) : element;
	}

	/**
	 * The method's answer: a publisher of its declared kind that starts the call when subscribed to.
	 * @param start starts the call through its transport: returns the future of its value
	 */
	static Object answer(IdempotencyOperation.Returns returns, boolean claimsWithoutBlocking,
			ReactiveCallContext.Start<@Nullable Object> start) {
		return Reactor.answer(returns == IdempotencyOperation.Returns.FLUX, claimsWithoutBlocking, start);
	}

	/**
	 * Runs the call through the engine, on the thread that starts it: the execution's value is the
	 * future of the method's value (a completed one for a replay).
	 */
	static Execution<Object> execute(IdempotencyOperation operation, IdempotencyEngine engine, IdempotencyCall call,
			IdempotencyEngine.Invocation<Object> invocation) throws Throwable {
		return Reactor.execute(operation.returns() == IdempotencyOperation.Returns.FLUX, engine, call,
				operation.codec(), invocation, operation.transport());
	}

	// Loaded only for a method that returns a publisher, so only with Reactor on the class path.
	private static final class Reactor {

		// A blocking store's completion must not run on the thread (an event loop, say) that completed
		// the method's publisher. Nor on the bounded elastic threads that calls start on: duplicates waiting
		// there for this very completion (awaitCompletion) could hold every one of them. Its threads are
		// daemons, and lapse when idle for a minute.
		private static final Scheduler COMPLETION_SCHEDULER = Schedulers.newBoundedElastic(
				Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE, Schedulers.DEFAULT_BOUNDED_ELASTIC_QUEUESIZE,
				"idempotent-completion", 60, true);

		private static final Executor COMPLETIONS = COMPLETION_SCHEDULER::schedule;

		@SuppressWarnings("unchecked")
		static Object answer(boolean flux, boolean claimsWithoutBlocking, ReactiveCallContext.Start<@Nullable Object> start) {
			Mono<Object> answer = ReactiveCallContext.start(start, !claimsWithoutBlocking)
				.flatMap((result) -> (result instanceof CompletionStage<?> stage)
						// The answer's own future: cancelling it would change nothing, so a cancel stops here.
						? Mono.fromFuture(stage.toCompletableFuture(), true) : Mono.just(result));
			return flux ? answer.flatMapIterable((values) -> (Iterable<Object>) values) : answer;
		}

		static Execution<Object> execute(boolean flux, IdempotencyEngine engine, IdempotencyCall call,
				OutcomeCodec<Object> codec, IdempotencyEngine.Invocation<Object> invocation, IdempotencyTransport transport)
				throws Throwable {
			ContextView context = ReactiveCallContext.current();
			IdempotencyEngine.Invocation<CompletionStage<Object>> method = () -> subscribe(flux, invocation, context);
			if (!engine.claimsWithoutBlocking()) {
				Execution<CompletableFuture<Object>> execution = engine.executeAsync(call, codec, method, COMPLETIONS);
				return new Execution<>(execution.value(), null, execution.replayed());
			}
			// Claimed without blocking: the method is called, or the duplicate answered, when the store answers.
			CompletableFuture<Object> answer = engine.executeAsyncClaiming(call, codec, method, COMPLETIONS)
				.thenCompose((execution) -> {
					if (execution.replayed() && context != null) {
						markReplayed(transport, context);
					}
					// No future: the method returned null rather than a publisher, and that is its answer.
					CompletableFuture<Object> value = execution.value();
					return (value != null) ? value : CompletableFuture.completedFuture(null);
				})
				.toCompletableFuture();
			return new Execution<>(answer, null, false);
		}

		// The method's publisher sees its subscriber's context (security, tracing), and runs to its end
		// whatever that subscriber does.
		@SuppressWarnings("unchecked")
		private static @Nullable CompletionStage<Object> subscribe(boolean flux,
				IdempotencyEngine.Invocation<Object> invocation, @Nullable ContextView context) throws Throwable {
			Object publisher = invocation.invoke();
			if (publisher == null) {
				return null;
			}
			Mono<Object> value = flux ? ((Flux<Object>) publisher).collectList().map(Object.class::cast)
					: Mono.from((Publisher<Object>) publisher);
			return ((context != null) ? value.contextWrite(context) : value).toFuture();
		}

		private static void markReplayed(IdempotencyTransport transport, ContextView context) {
			try {
				ReactiveCallContext.with(context, () -> {
					transport.markReplayed();
					return null;
				});
			}
			catch (Throwable ex) {
				throw new IllegalStateException("Could not mark the answer as a replay", ex);
			}
		}

	}

}
