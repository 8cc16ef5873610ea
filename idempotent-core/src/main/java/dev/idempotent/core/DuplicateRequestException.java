package dev.idempotent.core;

/**
 * A call with the same key already completed and the operation rejects duplicates (HTTP 409). This
 * call did not run.
 */
public class DuplicateRequestException extends IdempotencyException {

	public DuplicateRequestException() {
		super("A request with this idempotency key has already been processed.");
	}

}
