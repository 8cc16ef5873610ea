package dev.idempotent.spring.observation;

import dev.idempotent.core.CallOutcome;
import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * What an observation of one idempotent call knows: its operation from the start, its key and
 * outcome once the engine has answered it.
 */
public class IdempotencyObservationContext extends Observation.Context {

	private final String operation;

	private @Nullable String key;

	private @Nullable CallOutcome outcome;

	public IdempotencyObservationContext(String operation) {
		this.operation = operation;
	}

	/** The operation ({@code @Idempotent(name)}). */
	public String getOperation() {
		return this.operation;
	}

	/** The client key as the call carried it, or {@code null} when none was read. */
	public @Nullable String getKey() {
		return this.key;
	}

	public void setKey(@Nullable String key) {
		this.key = key;
	}

	/** How the call was answered, or {@code null} when it failed before it was answered. */
	public @Nullable CallOutcome getOutcome() {
		return this.outcome;
	}

	public void setOutcome(@Nullable CallOutcome outcome) {
		this.outcome = outcome;
	}

}
