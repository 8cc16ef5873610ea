package dev.idempotent.core;

import java.time.Duration;

/**
 * The store could not be reached or failed, so the library cannot tell whether the call already ran
 * (HTTP 503 with {@code Retry-After}). The method did not run: the library fails closed.
 */
public class IdempotencyStorageUnavailableException extends IdempotencyException {

	private final Duration retryAfter;

	public IdempotencyStorageUnavailableException(Duration retryAfter, Throwable cause) {
		super("Idempotency storage is unavailable; the request was not processed. Retry later.", cause);
		this.retryAfter = retryAfter;
	}

	/** A hint for when to try again. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
