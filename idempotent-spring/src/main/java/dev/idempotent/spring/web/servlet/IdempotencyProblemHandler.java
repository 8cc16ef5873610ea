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

import java.net.URI;

import dev.idempotent.core.IdempotencyException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.spring.web.IdempotencyProblems;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers every {@link IdempotencyException} thrown while Spring MVC serves a request with its problem
 * detail ({@code application/problem+json}, see {@link IdempotencyProblems}), and logs a refusal for
 * a failed store on one line.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class IdempotencyProblemHandler {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyProblemHandler.class);

	@ExceptionHandler(IdempotencyException.class)
	public ResponseEntity<ProblemDetail> handle(IdempotencyException ex, HttpServletRequest request) {
		if (ex instanceof IdempotencyStorageUnavailableException unavailable) {
			// One line per refused request, naming the store's own error; the stack trace only on demand,
			// as an outage repeats it.
			logger.warn("Idempotency storage unavailable; answered 503 without running {} {}: {}", request.getMethod(),
					request.getRequestURI(), unavailable.getStoreError());
			logger.debug("Idempotency storage failure", ex);
		}
		return IdempotencyProblems.response(ex, URI.create(request.getRequestURI()));
	}

}
