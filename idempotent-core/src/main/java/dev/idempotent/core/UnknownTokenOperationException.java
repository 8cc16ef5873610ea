package dev.idempotent.core;

/**
 * A token was requested for an operation that does not take one-time tokens, or for no operation
 * at all (HTTP 400). No token was issued.
 */
public class UnknownTokenOperationException extends IdempotencyException {

	public UnknownTokenOperationException(String message) {
		super(message);
	}

}
