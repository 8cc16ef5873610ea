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
package dev.idempotent.spring.web.servlet;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;

import dev.idempotent.spring.transport.FingerprintInputs;
import dev.idempotent.spring.transport.IdempotencyInvocation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import dev.idempotent.spring.transport.MethodCallTransport;
import org.jspecify.annotations.Nullable;

import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.bind.annotation.RequestMapping;

/**
 * A Spring MVC handler method ({@code @RequestMapping} and its variants). Its key comes from the
 * request's header, its fingerprint covers the request rather than the arguments: the HTTP method,
 * the path, the query and form parameters, and the body as the client sent it (kept by
 * {@link IdempotencyRequestBodyAdvice}). Its answers are HTTP answers: a replay carries
 * {@value MethodCallTransport#REPLAYED_HEADER}, and the library's failures become problem details
 * through {@link IdempotencyProblemHandler}. Called outside a request, it fingerprints its arguments
 * like a plain call.
 */
public class ServletHandlerTransport implements IdempotencyTransport {

	private final ServletThreadBoundRequest request;

	// A handler's call is a method call on the request's thread, but for its fingerprint.
	private final MethodCallTransport methodCall;

	public ServletHandlerTransport(ServletThreadBoundRequest request) {
		this.request = request;
		this.methodCall = new MethodCallTransport(request);
	}

	@Override
	public boolean supports(Method method) {
		return AnnotatedElementUtils.hasAnnotation(method, RequestMapping.class);
	}

	@Override
	public void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs) {
		ServletThreadBoundRequest.Request request = this.request.snapshot();
		if (request == null) {
			this.methodCall.fingerprint(method, arguments, inputs);
			return;
		}
		inputs.text("http").text(request.method()).text(request.path());
		for (Map.Entry<String, String[]> parameter : new TreeMap<>(request.parameters()).entrySet()) {
			inputs.text(parameter.getKey()).text(Integer.toString(parameter.getValue().length));
			for (String value : parameter.getValue()) {
				inputs.text(value);
			}
		}
		inputs.body(request.body(), request.contentType());
	}

	@Override
	public @Nullable String key(String header) {
		return this.methodCall.key(header);
	}

	@Override
	public @Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable {
		return this.methodCall.invoke(invocation);
	}

}
