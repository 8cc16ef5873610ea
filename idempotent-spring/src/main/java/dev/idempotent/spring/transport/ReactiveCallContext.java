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

import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

/**
 * The Reactor context of the subscriber of an {@link dev.idempotent.spring.Idempotent} method that
 * returns a {@code Mono} or a {@code Flux}, while its call starts: a transport reads the request it
 * serves from it (a WebFlux handler's {@code ServerWebExchange}, say) when it reads the call's key,
 * caller and fingerprint. A call starts on one thread, on subscription, so the context is bound to
 * that thread for that part only.
 */
public final class ReactiveCallContext {

	private static final ThreadLocal<ContextView> current = new ThreadLocal<>();

	private ReactiveCallContext() {
	}

	/** The context of the subscriber whose call starts on this thread, or {@code null}. */
	public static @Nullable ContextView current() {
		return current.get();
	}

	/**
	 * Runs the start of a call with its subscriber's context bound to the thread.
	 * @param context the subscriber's context
	 * @param start the start of the call
	 * @return what the start returns
	 * @throws Throwable what it throws
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

}
