/*
 * Copyright the idempotent authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 *
 *      https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the License is
 * distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
 * implied. See the License for the specific language governing permissions and limitations under the
 * License.
 */
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
