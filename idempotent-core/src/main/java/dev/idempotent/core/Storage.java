package dev.idempotent.core;

import java.time.Duration;
import java.util.function.Supplier;

/** Calls a store so that its failure is an outage: fail closed, with a retry hint. */
final class Storage {

	/** The least a Retry-After says. */
	static final Duration MIN_RETRY_AFTER = Duration.ofSeconds(1);

	private Storage() {
	}

	/**
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 * @throws UnsupportedOperationException if the store lacks the primitive: a configuration error,
	 * not an outage
	 */
	static <R> R call(Supplier<R> action) {
		try {
			return action.get();
		}
		catch (UnsupportedOperationException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			throw new IdempotencyStorageUnavailableException(MIN_RETRY_AFTER, ex);
		}
	}

}
