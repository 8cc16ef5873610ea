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
package dev.idempotent.spring.web;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.IdempotencyException;
import dev.idempotent.core.IdempotencyKeyReusedException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.InvalidIdempotencyKeyException;
import dev.idempotent.core.InvalidIdempotencyTokenException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.UnknownTokenOperationException;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/**
 * The HTTP answer to each library exception, whichever web stack gives it: an RFC 9457 problem detail
 * with a stable {@code type} URI per error, {@code status} equal to the HTTP status, a client-safe
 * {@code detail}, and {@code Retry-After} where a retry can succeed. No stack trace, storage key or host
 * is shown.
 */
public final class IdempotencyProblems {

	/** Common prefix of the problem {@code type} URIs. */
	public static final String TYPE_PREFIX = "urn:idempotent:problem:";

	private static final Problem INTERNAL = new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal",
			"Idempotency error");

	private static final Map<Class<?>, Problem> PROBLEMS = Map.of(
			MissingIdempotencyKeyException.class,
			new Problem(HttpStatus.BAD_REQUEST, "missing-key", "Idempotency key missing"),
			InvalidIdempotencyKeyException.class,
			new Problem(HttpStatus.BAD_REQUEST, "invalid-key", "Idempotency key invalid"),
			InvalidIdempotencyTokenException.class,
			new Problem(HttpStatus.BAD_REQUEST, "invalid-token", "Idempotency token invalid"),
			UnknownTokenOperationException.class,
			new Problem(HttpStatus.BAD_REQUEST, "unknown-operation", "No such token operation"),
			RequestInProgressException.class,
			new Problem(HttpStatus.CONFLICT, "request-in-progress", "Request in progress"),
			DuplicateRequestException.class, new Problem(HttpStatus.CONFLICT, "duplicate-request", "Duplicate request"),
			ReplayUnavailableException.class,
			new Problem(HttpStatus.CONFLICT, "replay-unavailable", "Response not replayable"),
			IdempotencyKeyReusedException.class,
			new Problem(HttpStatus.UNPROCESSABLE_CONTENT, "key-reused", "Idempotency key reused"),
			IdempotencyStorageUnavailableException.class,
			new Problem(HttpStatus.SERVICE_UNAVAILABLE, "storage-unavailable", "Idempotency storage unavailable"));

	private IdempotencyProblems() {
	}

	/**
	 * The problem detail of an exception.
	 * @param instance the request's path, or {@code null}
	 */
	public static ProblemDetail problemDetail(IdempotencyException ex, @Nullable URI instance) {
		Problem problem = problem(ex);
		ProblemDetail detail = ProblemDetail.forStatusAndDetail(problem.status(), ex.getMessage());
		detail.setType(URI.create(TYPE_PREFIX + problem.slug()));
		detail.setTitle(problem.title());
		detail.setInstance(instance);
		return detail;
	}

	/**
	 * The whole answer: the problem detail as {@code application/problem+json}, with its status and
	 * headers.
	 * @param instance the request's path, or {@code null}
	 */
	public static ResponseEntity<ProblemDetail> response(IdempotencyException ex, @Nullable URI instance) {
		ProblemDetail body = problemDetail(ex, instance);
		return ResponseEntity.status(body.getStatus())
			.headers(headers(ex))
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.body(body);
	}

	/** The headers that go with the problem: {@code Retry-After}, in whole seconds, where a retry can succeed. */
	public static HttpHeaders headers(IdempotencyException ex) {
		HttpHeaders headers = new HttpHeaders();
		Duration retryAfter = retryAfter(ex);
		if (retryAfter != null) {
			headers.set(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
		}
		return headers;
	}

	private static @Nullable Duration retryAfter(IdempotencyException ex) {
		if (ex instanceof RequestInProgressException inProgress) {
			return inProgress.getRetryAfter();
		}
		if (ex instanceof IdempotencyStorageUnavailableException unavailable) {
			return unavailable.getRetryAfter();
		}
		return null;
	}

	// The closest class that has a problem: an application's subclass answers as its library class.
	private static Problem problem(IdempotencyException ex) {
		for (Class<?> type = ex.getClass(); type != IdempotencyException.class; type = type.getSuperclass()) {
			Problem problem = PROBLEMS.get(type);
			if (problem != null) {
				return problem;
			}
		}
		return INTERNAL;
	}

	private record Problem(HttpStatus status, String slug, String title) {
	}

}
