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
package dev.idempotent.redis;

import dev.idempotent.core.Outcome;
import dev.idempotent.core.OutcomeCodec;

/** The outcome codec of the Redis tests that drive the engine: a returned text as {@code =text}. */
final class TextOutcomes {

	static final OutcomeCodec<String> TEXT = new OutcomeCodec<>() {

		@Override
		public String encode(Outcome<String> outcome) {
			return (outcome instanceof Outcome.Returned<String> returned) ? "=" + returned.value() : "?";
		}

		@Override
		public Outcome<String> decode(String stored) {
			return stored.startsWith("=") ? Outcome.returned(stored.substring(1)) : Outcome.unavailable(stored);
		}

	};

	private TextOutcomes() {
	}

}
