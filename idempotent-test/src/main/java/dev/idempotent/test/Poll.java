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
package dev.idempotent.test;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.awaitility.Awaitility;

/**
 * Waits for a condition another thread or process brings about (a claim appearing in the store, say),
 * with Awaitility: looking every few milliseconds, and failing the test if it does not come within 30
 * seconds. The name of what is awaited is in the failure.
 */
public final class Poll {

	private static final Duration PATIENCE = Duration.ofSeconds(30);

	private static final Duration INTERVAL = Duration.ofMillis(5);

	private Poll() {
	}

	/**
	 * Returns once the condition holds.
	 * @param what the condition, for the failure message
	 * @throws org.awaitility.core.ConditionTimeoutException if it does not hold within 30 seconds
	 */
	public static void until(String what, BooleanSupplier condition) {
		Awaitility.await(what)
			.atMost(PATIENCE)
			.pollDelay(Duration.ZERO)
			.pollInterval(INTERVAL)
			.until(condition::getAsBoolean);
	}

}
