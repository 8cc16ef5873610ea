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

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.idempotent.spring.Idempotent;

import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.servlet.mvc.method.annotation.RequestBodyAdviceAdapter;

/**
 * Keeps the request body of an {@link Idempotent} handler method as the client sent it, so that
 * {@link ServletHandlerTransport} can compare a duplicate's body with the first one's. Only handler
 * methods that carry {@link Idempotent} pay for the copy.
 */
@ControllerAdvice
public class IdempotencyRequestBodyAdvice extends RequestBodyAdviceAdapter {

	/** The request attribute under which the body of an {@link Idempotent} handler's {@code @RequestBody} is kept. */
	static final String REQUEST_BODY_ATTRIBUTE = IdempotencyRequestBodyAdvice.class.getName() + ".requestBody";

	// Asked for every request body, so the annotation search runs once per handler method.
	private final Map<Method, Boolean> idempotentMethods = new ConcurrentHashMap<>(64);

	@Override
	public boolean supports(MethodParameter methodParameter, Type targetType,
			Class<? extends HttpMessageConverter<?>> converterType) {
		Method method = methodParameter.getMethod();
		return method != null && this.idempotentMethods.computeIfAbsent(method,
				(handler) -> AnnotatedElementUtils.hasAnnotation(handler, Idempotent.class));
	}

	@Override
	public HttpInputMessage beforeBodyRead(HttpInputMessage inputMessage, MethodParameter parameter, Type targetType,
			Class<? extends HttpMessageConverter<?>> converterType) throws IOException {
		byte[] body = inputMessage.getBody().readAllBytes();
		RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
		if (attributes != null) {
			attributes.setAttribute(REQUEST_BODY_ATTRIBUTE, body,
					RequestAttributes.SCOPE_REQUEST);
		}
		return new HttpInputMessage() {

			@Override
			public InputStream getBody() {
				return new ByteArrayInputStream(body);
			}

			@Override
			public HttpHeaders getHeaders() {
				return inputMessage.getHeaders();
			}

		};
	}

}
