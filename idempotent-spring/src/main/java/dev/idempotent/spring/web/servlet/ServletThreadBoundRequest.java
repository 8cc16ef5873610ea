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

import java.security.Principal;
import java.util.Enumeration;
import java.util.Map;

import dev.idempotent.core.InvalidIdempotencyKeyException;
import dev.idempotent.spring.transport.MethodCallTransport;
import dev.idempotent.spring.transport.ThreadBoundRequest;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The servlet request and response that Spring MVC binds to the current thread, if any.
 */
public class ServletThreadBoundRequest implements ThreadBoundRequest {

	/**
	 * The header's one value.
	 * @throws InvalidIdempotencyKeyException if the request carries the header more than once: which of
	 * two keys the client meant cannot be told, and taking the first would silently drop the other
	 */
	@Override
	public @Nullable String header(String name) {
		HttpServletRequest request = request();
		if (request == null) {
			return null;
		}
		Enumeration<String> values = request.getHeaders(name);
		if (values == null || !values.hasMoreElements()) {
			return null;
		}
		String value = values.nextElement();
		if (values.hasMoreElements()) {
			throw new InvalidIdempotencyKeyException("The request carries more than one " + name + " header.");
		}
		return value;
	}

	@Override
	public @Nullable String principal() {
		HttpServletRequest request = request();
		Principal principal = (request != null) ? request.getUserPrincipal() : null;
		return (principal != null) ? principal.getName() : null;
	}

	@Override
	public void markReplayed() {
		RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
		if (attributes instanceof ServletRequestAttributes servlet) {
			HttpServletResponse response = servlet.getResponse();
			if (response != null) {
				response.setHeader(MethodCallTransport.REPLAYED_HEADER, "true");
			}
		}
	}

	/** The current request as a fingerprint sees it, or {@code null} outside a request. */
	@Nullable Request snapshot() {
		HttpServletRequest request = request();
		if (request == null) {
			return null;
		}
		Object body = request.getAttribute(IdempotencyRequestBodyAdvice.REQUEST_BODY_ATTRIBUTE);
		return new Request(request.getMethod(), request.getRequestURI(), request.getContentType(),
				request.getParameterMap(), (body instanceof byte[] bytes) ? bytes : null);
	}

	private static @Nullable HttpServletRequest request() {
		RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
		return (attributes instanceof ServletRequestAttributes servlet) ? servlet.getRequest() : null;
	}

	/**
	 * What identifies an HTTP request for a fingerprint.
	 *
	 * @param method the HTTP method
	 * @param path the request URI, without the query string
	 * @param contentType the body's content type, or {@code null}
	 * @param parameters query and form parameters
	 * @param body the body as the handler read it ({@code @RequestBody}), or {@code null} if it read none
	 */
	record Request(String method, String path, @Nullable String contentType, Map<String, String[]> parameters,
			byte @Nullable [] body) {
	}

}
