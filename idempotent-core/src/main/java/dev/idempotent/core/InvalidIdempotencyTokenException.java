package dev.idempotent.core;

/**
 * The operation requires a one-time token as its key, and the key is none this caller holds: it was
 * never issued for this operation, it expired, or it was issued to another caller (HTTP 400). Nothing
 * ran and nothing changed; in particular, a token of another caller is not consumed.
 */
public class InvalidIdempotencyTokenException extends IdempotencyException {

	public InvalidIdempotencyTokenException() {
		super("The idempotency key is not a live token issued to you for this operation; request a new token.");
	}

}
