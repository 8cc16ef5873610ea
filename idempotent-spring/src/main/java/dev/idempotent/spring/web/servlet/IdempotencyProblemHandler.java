package dev.idempotent.spring.web.servlet;

import java.net.URI;
import java.time.Duration;

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
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers every {@link IdempotencyException} with an RFC 9457 problem detail
 * ({@code application/problem+json}): a stable {@code type} URI per error, {@code status} equal to the
 * HTTP status, a client-safe {@code detail}, and {@code Retry-After} where a retry can succeed. No
 * stack trace, storage key or host is shown.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class IdempotencyProblemHandler {

	/** Common prefix of the problem {@code type} URIs. */
	public static final String TYPE_PREFIX = "urn:idempotent:problem:";

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyProblemHandler.class);

	@ExceptionHandler(IdempotencyException.class)
	public ResponseEntity<ProblemDetail> handle(IdempotencyException ex, HttpServletRequest request) {
		Problem problem = Problem.of(ex);
		if (ex instanceof IdempotencyStorageUnavailableException) {
			// One line per refused request; the stack trace only on demand, as an outage repeats it.
			logger.warn("Idempotency storage unavailable; answered 503 without running {} {}: {}", request.getMethod(),
					request.getRequestURI(), String.valueOf(ex.getCause()));
			logger.debug("Idempotency storage failure", ex);
		}
		ProblemDetail body = ProblemDetail.forStatusAndDetail(problem.status(), ex.getMessage());
		body.setType(URI.create(TYPE_PREFIX + problem.slug()));
		body.setTitle(problem.title());
		body.setInstance(URI.create(request.getRequestURI()));
		ResponseEntity.BodyBuilder response = ResponseEntity.status(problem.status())
			.contentType(MediaType.APPLICATION_PROBLEM_JSON);
		Duration retryAfter = retryAfter(ex);
		if (retryAfter != null) {
			response.header(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, retryAfter.toSeconds())));
		}
		return response.body(body);
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

	/** The mapping of each library exception to its HTTP problem. */
	private record Problem(HttpStatus status, String slug, String title) {

		static Problem of(IdempotencyException ex) {
			if (ex instanceof MissingIdempotencyKeyException) {
				return new Problem(HttpStatus.BAD_REQUEST, "missing-key", "Idempotency key missing");
			}
			if (ex instanceof InvalidIdempotencyKeyException) {
				return new Problem(HttpStatus.BAD_REQUEST, "invalid-key", "Idempotency key invalid");
			}
			if (ex instanceof InvalidIdempotencyTokenException) {
				return new Problem(HttpStatus.BAD_REQUEST, "invalid-token", "Idempotency token invalid");
			}
			if (ex instanceof UnknownTokenOperationException) {
				return new Problem(HttpStatus.BAD_REQUEST, "unknown-operation", "No such token operation");
			}
			if (ex instanceof RequestInProgressException) {
				return new Problem(HttpStatus.CONFLICT, "request-in-progress", "Request in progress");
			}
			if (ex instanceof DuplicateRequestException) {
				return new Problem(HttpStatus.CONFLICT, "duplicate-request", "Duplicate request");
			}
			if (ex instanceof ReplayUnavailableException) {
				return new Problem(HttpStatus.CONFLICT, "replay-unavailable", "Response not replayable");
			}
			if (ex instanceof IdempotencyKeyReusedException) {
				return new Problem(HttpStatus.UNPROCESSABLE_CONTENT, "key-reused", "Idempotency key reused");
			}
			if (ex instanceof IdempotencyStorageUnavailableException) {
				return new Problem(HttpStatus.SERVICE_UNAVAILABLE, "storage-unavailable",
						"Idempotency storage unavailable");
			}
			return new Problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Idempotency error");
		}

	}

}
