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
package dev.idempotent.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Checks the durations a store keeps time with. Stores count in whole milliseconds (Redis's
 * {@code PEXPIRE}, a database timestamp): a lease of {@code 500us} would become {@code PEXPIRE 0},
 * which deletes a claim at once, so a duration that is not a whole number of milliseconds is refused
 * rather than rounded.
 */
public final class StoreDurations {

	private StoreDurations() {
	}

	/**
	 * @param duration the duration to check
	 * @param name what it is, for the message (a property or parameter name)
	 * @return the duration
	 * @throws IllegalArgumentException if it is shorter than a millisecond or not a whole number of
	 * milliseconds
	 */
	public static Duration requirePositiveMillis(Duration duration, String name) {
		Objects.requireNonNull(duration, name);
		if (duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException(name + " must be positive, was " + duration);
		}
		return requireWholeMillis(duration, name);
	}

	/**
	 * Like {@link #requirePositiveMillis}, but zero is allowed.
	 * @param duration the duration to check
	 * @param name what it is, for the message
	 * @return the duration
	 * @throws IllegalArgumentException if it is negative or not a whole number of milliseconds
	 */
	public static Duration requireNonNegativeMillis(Duration duration, String name) {
		Objects.requireNonNull(duration, name);
		if (duration.isNegative()) {
			throw new IllegalArgumentException(name + " must not be negative, was " + duration);
		}
		return requireWholeMillis(duration, name);
	}

	private static Duration requireWholeMillis(Duration duration, String name) {
		if (duration.getNano() % 1_000_000 != 0) {
			throw new IllegalArgumentException(name + " must be a whole number of milliseconds (stores keep time in "
					+ "milliseconds), was " + duration);
		}
		return duration;
	}

}
