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

import io.micrometer.observation.Observation;
import org.jspecify.annotations.Nullable;

/**
 * What an observation of one store round trip knows: the command, and its result once it returned.
 */
public class IdempotencyStoreObservationContext extends Observation.Context {

	private final String command;

	private @Nullable String result;

	public IdempotencyStoreObservationContext(String command) {
		this.command = command;
	}

	/** {@code claim}, {@code complete}, {@code release}, {@code extend}, {@code find} or {@code delete}. */
	public String getCommand() {
		return this.command;
	}

	/**
	 * What the store answered: {@code acquired} or {@code taken} (claim); {@code ok} or {@code not_owner}
	 * (complete, release, extend: the caller no longer held the claim); {@code found} or {@code absent}
	 * (find, delete); {@code error} when it failed.
	 */
	public @Nullable String getResult() {
		return this.result;
	}

	public void setResult(@Nullable String result) {
		this.result = result;
	}

}
