package dev.idempotent.core;

import java.time.Duration;

/**
 * A call with the same key is still running (HTTP 409 with {@code Retry-After}). This call did not
 * run.
 */
public class RequestInProgressException extends IdempotencyException {

	private final Duration retryAfter;

	public RequestInProgressException(Duration retryAfter) {
		super("A request with this idempotency key is still being processed; retry later.");
		this.retryAfter = retryAfter;
	}

	/** A hint for when the first call is likely to have finished. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
