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
package dev.idempotent.spring.web.reactive;

import java.util.List;
import java.util.Optional;

import dev.idempotent.core.InvalidIdempotencyKeyException;
import dev.idempotent.spring.transport.MethodCallTransport;
import dev.idempotent.spring.transport.ReactiveCallContext;
import dev.idempotent.spring.transport.ThreadBoundRequest;
import org.jspecify.annotations.Nullable;
import reactor.util.context.ContextView;

import org.springframework.web.filter.reactive.ServerWebExchangeContextFilter;
import org.springframework.web.server.ServerWebExchange;

/**
 * The WebFlux request whose {@link dev.idempotent.spring.Idempotent} call starts on the current
 * thread: the {@link ServerWebExchange} that {@link ServerWebExchangeContextFilter} put in the
 * subscriber's context, read through {@link ReactiveCallContext}. A call starts on subscription, on
 * one thread, so a handler's call and a service method's call it subscribes to both see it.
 */
public class ReactiveThreadBoundRequest implements ThreadBoundRequest {

	/**
	 * The header's one value.
	 * @throws InvalidIdempotencyKeyException if the request carries the header more than once: which of
	 * two keys the client meant cannot be told, and taking the first would silently drop the other
	 */
	@Override
	public @Nullable String header(String name) {
		ServerWebExchange exchange = exchange();
		if (exchange == null) {
			return null;
		}
		List<String> values = exchange.getRequest().getHeaders().get(name);
		if (values == null || values.isEmpty()) {
			return null;
		}
		if (values.size() > 1) {
			throw new InvalidIdempotencyKeyException("The request carries more than one " + name + " header.");
		}
		return values.get(0);
	}

	/** {@code null}: the caller comes from the reactive security context, bound to the thread. */
	@Override
	public @Nullable String principal() {
		return null;
	}

	@Override
	public void markReplayed() {
		ServerWebExchange exchange = exchange();
		if (exchange != null) {
			exchange.getResponse().getHeaders().set(MethodCallTransport.REPLAYED_HEADER, "true");
		}
	}

	/** The exchange of the call starting on this thread, or {@code null}. */
	@Nullable ServerWebExchange exchange() {
		ContextView context = ReactiveCallContext.current();
		if (context == null) {
			return null;
		}
		Optional<ServerWebExchange> exchange = ServerWebExchangeContextFilter.getExchange(context);
		return exchange.orElse(null);
	}

}
