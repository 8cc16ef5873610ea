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
