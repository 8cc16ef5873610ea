package dev.idempotent.core;

/**
 * Base of every exception the library raises to a caller. Its message is safe to show to a client:
 * it names no storage key, class or host.
 */
public abstract class IdempotencyException extends RuntimeException {

	protected IdempotencyException(String message) {
		super(message);
	}

	protected IdempotencyException(String message, Throwable cause) {
		super(message, cause);
	}

}
