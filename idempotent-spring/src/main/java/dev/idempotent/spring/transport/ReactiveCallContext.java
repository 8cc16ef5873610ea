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

import java.util.Optional;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.ContextView;

import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.ClassUtils;

/**
 * The Reactor context of the subscriber of an {@link dev.idempotent.spring.Idempotent} method that
 * returns a {@code Mono} or a {@code Flux}, while its call starts: a transport reads the request it
 * serves from it (a WebFlux handler's {@code ServerWebExchange}, say) when it reads the call's key,
 * caller and fingerprint. A call starts on one thread, on subscription, so the context is bound to
 * that thread for that part only.
 */
public final class ReactiveCallContext {

	private static final boolean SECURITY_PRESENT = ClassUtils.isPresent(
			"org.springframework.security.core.context.ReactiveSecurityContextHolder",
			ReactiveCallContext.class.getClassLoader());

	private static final ThreadLocal<ContextView> current = new ThreadLocal<>();

	private ReactiveCallContext() {
	}

	/** The context of the subscriber whose call starts on this thread, or {@code null}. */
	public static @Nullable ContextView current() {
		return current.get();
	}

	/**
	 * Starts a call when the answer is subscribed to, on a bounded elastic thread (the store's calls
	 * block, and an event loop must not), with the subscriber's context bound to that thread and, with
	 * Spring Security, its reactive security context as the thread's {@code SecurityContextHolder}
	 * context: caller resolvers read it as they would on a servlet thread.
	 * @param start the start of the call; what it throws is signalled as an error
	 * @return what the start returns, or empty for {@code null}
	 */
	public static <T> Mono<T> start(Start<@Nullable T> start) {
		return start(start, true);
	}

	/**
	 * Starts a call as {@link #start(Start)} does, but on the subscriber's own thread when it does not
	 * block: a call whose store claims without blocking.
	 * @param start the start of the call, which must not block when {@code offEventLoop} is false
	 * @param offEventLoop whether to start it on a bounded elastic thread
	 */
	public static <T> Mono<T> start(Start<@Nullable T> start, boolean offEventLoop) {
		Mono<Optional<Object>> security = SECURITY_PRESENT ? Security.context() : Mono.just(Optional.empty());
		return (offEventLoop ? security.publishOn(Schedulers.boundedElastic()) : security)
			.flatMap((securityContext) -> Mono.deferContextual((context) -> {
				try {
					return Mono.justOrEmpty(with(context,
							() -> securityContext.isPresent() ? Security.with(securityContext.get(), start) : start.run()));
				}
				catch (Throwable ex) {
					return Mono.error(ex);
				}
			}));
	}

	/**
	 * Runs part of a call with its subscriber's context bound to the thread: what it reads through
	 * {@link #current()} is that context.
	 */
	public static <T> T with(ContextView context, Start<T> start) throws Throwable {
		ContextView outer = current.get();
		current.set(context);
		try {
			return start.run();
		}
		finally {
			if (outer != null) {
				current.set(outer);
			}
			else {
				current.remove();
			}
		}
	}

	/** The start of a call. */
	@FunctionalInterface
	public interface Start<T> {

		T run() throws Throwable;

	}

	// Loaded only with Spring Security on the class path.
	private static final class Security {

		static Mono<Optional<Object>> context() {
			return ReactiveSecurityContextHolder.getContext()
				.map(Optional::<Object>of)
				.defaultIfEmpty(Optional.empty());
		}

		static <T> T with(Object context, Start<T> start) throws Throwable {
			SecurityContext outer = SecurityContextHolder.getContext();
			SecurityContextHolder.setContext((SecurityContext) context);
			try {
				return start.run();
			}
			finally {
				if (outer.getAuthentication() != null) {
					SecurityContextHolder.setContext(outer);
				}
				else {
					SecurityContextHolder.clearContext();
				}
			}
		}

	}

}
