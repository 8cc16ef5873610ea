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
