package dev.idempotent.core;

/**
 * The idempotency key is empty, too long or not printable ASCII (HTTP 400). Nothing was stored.
 */
public class InvalidIdempotencyKeyException extends IdempotencyException {

	public InvalidIdempotencyKeyException(String message) {
		super(message);
	}

}
