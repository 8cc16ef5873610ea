package dev.idempotent.core;

/**
 * Told how the {@link IdempotencyEngine} answered each call: the hook for metrics and tracing, which
 * this module leaves to others (the Spring Boot starter records a Micrometer observation).
 * <p>
 * Called on the calling thread, once per {@link IdempotencyEngine#execute} after the call's fate is
 * known and before it returns or throws. It must be quick and must not throw; an exception it throws
 * is logged and ignored.
 */
@FunctionalInterface
public interface IdempotencyListener {

	/** A listener that does nothing. */
	IdempotencyListener NONE = (call, outcome) -> {
	};

	/**
	 * @param call the call as it reached the engine (its key as received, possibly invalid)
	 * @param outcome how it was answered
	 */
	void onOutcome(IdempotencyCall call, CallOutcome outcome);

}
