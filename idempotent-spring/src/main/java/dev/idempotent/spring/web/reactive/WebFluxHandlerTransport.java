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

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.idempotent.spring.transport.FingerprintInputs;
import dev.idempotent.spring.transport.IdempotencyInvocation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import dev.idempotent.spring.transport.MethodCallTransport;
import dev.idempotent.spring.transport.ParameterFlags;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;

import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.server.ServerWebExchange;

/**
 * A Spring WebFlux handler method ({@code @RequestMapping} and its variants), which must return a
 * {@code Mono} or a {@code Flux}: its call starts on subscription, off the event loop, where the
 * store's calls may block. Its key comes from the request's header, its caller from the reactive
 * security context, and its fingerprint covers the request: the HTTP method, the path, the query
 * parameters and the {@code @RequestBody} arguments in canonical JSON (so a retry that serialises the
 * same body differently still matches). A replay carries {@value MethodCallTransport#REPLAYED_HEADER},
 * and the library's failures become problem details through {@link IdempotencyReactiveProblemHandler}.
 */
public class WebFluxHandlerTransport implements IdempotencyTransport {

	private final ReactiveThreadBoundRequest request;

	// A handler's call is a method call whose request is in its subscriber's context, but for its fingerprint.
	private final MethodCallTransport methodCall;

	// Which parameters are @RequestBody.
	private final ParameterFlags requestBodies = new ParameterFlags(
			(handler, index) -> new MethodParameter(handler, index).hasParameterAnnotation(RequestBody.class));

	public WebFluxHandlerTransport(ReactiveThreadBoundRequest request) {
		this.request = request;
		this.methodCall = new MethodCallTransport(request);
	}

	@Override
	public boolean supports(Method method) {
		return AnnotatedElementUtils.hasAnnotation(method, RequestMapping.class);
	}

	@Override
	public boolean supportsPublishers() {
		return true;
	}

	@Override
	public boolean requiresPublishers() {
		return true;
	}

	@Override
	public @Nullable String key(String header) {
		return this.request.header(header);
	}

	@Override
	public void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs) {
		ServerWebExchange exchange = this.request.exchange();
		if (exchange == null) {
			this.methodCall.fingerprint(method, arguments, inputs);
			return;
		}
		inputs.text("http")
			.text(exchange.getRequest().getMethod().name())
			.text(exchange.getRequest().getPath().pathWithinApplication().value());
		for (Map.Entry<String, List<String>> parameter : new TreeMap<>(exchange.getRequest().getQueryParams())
			.entrySet()) {
			inputs.text(parameter.getKey()).text(Integer.toString(parameter.getValue().size()));
			parameter.getValue().forEach(inputs::text);
		}
		List<@Nullable Object> bodies = new ArrayList<>();
		boolean[] requestBodies = this.requestBodies.of(method);
		for (int i = 0; i < arguments.length; i++) {
			if (requestBodies[i]) {
				if (arguments[i] instanceof Publisher<?>) {
					// Its body is read only when subscribed to, after the call was claimed.
					throw new IllegalStateException("@Idempotent on " + method.getDeclaringClass().getName() + "."
							+ method.getName() + ": a @RequestBody Mono or Flux cannot be fingerprinted before the call "
							+ "starts; declare the body's own type (@RequestBody Order, not Mono<Order>)");
				}
				bodies.add(arguments[i]);
			}
		}
		inputs.values(bodies);
	}

	@Override
	public void markReplayed() {
		this.methodCall.markReplayed();
	}

	@Override
	public @Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable {
		return this.methodCall.invoke(invocation);
	}

}
