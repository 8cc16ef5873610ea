package dev.idempotent.spring.observation;

import io.micrometer.common.KeyValues;

/**
 * Names the observation of a store round trip {@value #NAME}, tagged {@code command} and
 * {@code result} (see {@link IdempotencyStoreObservationContext#getResult()}).
 */
public class DefaultIdempotencyStoreObservationConvention implements IdempotencyStoreObservationConvention {

	/** The observation's name, and the timer's. */
	public static final String NAME = "idempotency.store";

	@Override
	public String getName() {
		return NAME;
	}

	@Override
	public String getContextualName(IdempotencyStoreObservationContext context) {
		return "idempotency store " + context.getCommand();
	}

	@Override
	public KeyValues getLowCardinalityKeyValues(IdempotencyStoreObservationContext context) {
		String result = context.getResult();
		return KeyValues.of("command", context.getCommand(), "result", (result != null) ? result : "unknown");
	}

}
