package dev.idempotent.core;

/**
 * The key was already used for a different request (HTTP 422). This call did not run and the
 * original record is unchanged.
 */
public class IdempotencyKeyReusedException extends IdempotencyException {

	public IdempotencyKeyReusedException() {
		super("This idempotency key was already used for a different request.");
	}

}
