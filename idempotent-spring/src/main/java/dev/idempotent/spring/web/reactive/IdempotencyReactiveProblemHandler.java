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

import java.net.URI;

import dev.idempotent.core.IdempotencyException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.spring.web.IdempotencyProblems;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers every {@link IdempotencyException} a WebFlux handler signals with its problem detail
 * ({@code application/problem+json}, see {@link IdempotencyProblems}): the same statuses, types and
 * {@code Retry-After} headers as a servlet application's. A refusal for a failed store is logged on
 * one line.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class IdempotencyReactiveProblemHandler {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyReactiveProblemHandler.class);

	@ExceptionHandler(IdempotencyException.class)
	public ResponseEntity<ProblemDetail> handle(IdempotencyException ex, ServerHttpRequest request) {
		String path = request.getPath().value();
		if (ex instanceof IdempotencyStorageUnavailableException unavailable) {
			logger.warn("Idempotency storage unavailable; answered 503 without running {} {}: {}",
					request.getMethod(), path, unavailable.getStoreError());
			logger.debug("Idempotency storage failure", ex);
		}
		return IdempotencyProblems.response(ex, URI.create(path));
	}

}
