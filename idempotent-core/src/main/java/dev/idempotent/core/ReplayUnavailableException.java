package dev.idempotent.core;

/**
 * A call with the same key completed, but its outcome was not kept (larger than the limit, or not
 * storable) or can no longer be read, so it cannot be replayed (HTTP 409). This call did not run:
 * running it again could repeat what the first call did.
 */
public class ReplayUnavailableException extends IdempotencyException {

	public ReplayUnavailableException() {
		super("A request with this idempotency key has already been processed, but its response was not kept "
				+ "and cannot be replayed.");
	}

}
