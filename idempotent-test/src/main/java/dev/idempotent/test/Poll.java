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
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

import org.awaitility.Awaitility;

/**
 * Waits for a condition another thread or process brings about (a claim appearing in the store, say),
 * with Awaitility: looking every few milliseconds, and failing the test if it does not come within 30
 * seconds. The name of what is awaited is in the failure. Also waits for another process to start,
 * and watches a condition hold for a while.
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

	/**
	 * Returns once the condition holds, for a process of its own to bring about (another JVM starting,
	 * say): far more patient than {@link #until}, and failing at once when the process has died.
	 * @param what the condition, for the failure message
	 * @param patience how long the process may take
	 * @param alive whether the process still runs
	 * @param condition the condition, polled every 100 ms; an exception counts as not yet
	 * @throws org.awaitility.core.ConditionTimeoutException if it does not hold within the patience
	 * @throws org.awaitility.core.TerminalFailureException if the process dies first
	 */
	public static void untilStarted(String what, Duration patience, BooleanSupplier alive,
			Callable<Boolean> condition) {
		Awaitility.await(what)
			.atMost(patience)
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(100))
			.ignoreExceptions()
			.failFast(what + ": the process died first", () -> !alive.getAsBoolean())
			.until(condition);
	}

	/**
	 * Returns once the condition has held, looked at every 50 ms, for the whole of a duration; fails
	 * the test the first time it does not (a claim that must survive several leases, say).
	 * @param what the condition, for the failure message
	 * @param duration how long it must hold
	 * @param condition the condition
	 */
	public static void holdsFor(String what, Duration duration, BooleanSupplier condition) {
		long until = System.nanoTime() + duration.toNanos();
		Awaitility.await(what)
			.atMost(duration.plus(PATIENCE))
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(50))
			.failFast(what + ": it stopped holding", () -> !condition.getAsBoolean())
			.until(() -> System.nanoTime() - until >= 0);
	}

}
