package dev.idempotent.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the observation of a store round trip. Define a bean of this type to rename it or to
 * add tags; extend {@link DefaultIdempotencyStoreObservationConvention} to keep the default ones.
 */
public interface IdempotencyStoreObservationConvention
		extends ObservationConvention<IdempotencyStoreObservationContext> {

	@Override
	default boolean supportsContext(Observation.Context context) {
		return context instanceof IdempotencyStoreObservationContext;
	}

}
