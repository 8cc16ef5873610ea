package dev.idempotent.spring.observation;

import dev.idempotent.core.CallOutcome;
import io.micrometer.common.KeyValues;

/**
 * Names the observation of an idempotent call {@value #NAME}, tagged {@code operation} and
 * {@code outcome} ({@link CallOutcome#value()}, or {@code unknown} for a call that failed before it was
 * answered, such as a misconfigured annotation). With Micrometer metrics this is a timer whose count
 * is the number of calls.
 */
public class DefaultIdempotencyObservationConvention implements IdempotencyObservationConvention {

	/** The observation's name, and the metric's. */
	public static final String NAME = "idempotency.requests";

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(IdempotencyObservationContext context) {
		return "idempotent " + context.getOperation();
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(IdempotencyObservationContext context) {
		CallOutcome outcome = context.getOutcome();
		return KeyValues.of("operation", context.getOperation(), "outcome",
				(outcome != null) ? outcome.value() : "unknown");
	}

}
