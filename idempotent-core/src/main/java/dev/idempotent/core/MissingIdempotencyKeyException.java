package dev.idempotent.core;

/** The request carries no idempotency key (HTTP 400). Nothing was stored. */
public class MissingIdempotencyKeyException extends IdempotencyException {

	public MissingIdempotencyKeyException(String message) {
		super(message);
	}

}
