package dev.idempotent.test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition another thread or process brings about (a claim appearing in the store, say),
 * looking every few milliseconds, and fails the test if it does not come within 30 seconds.
 */
public final class Poll {

	private static final Duration PATIENCE = Duration.ofSeconds(30);

	private Poll() {
	}

	/**
	 * Returns once the condition holds.
	 * @param what the condition, for the failure message
	 * @throws AssertionError if it does not hold within 30 seconds
	 */
	public static void until(String what, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + PATIENCE.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() - deadline > 0) {
				throw new AssertionError("Waited " + PATIENCE.toSeconds() + " s for: " + what);
			}
			TimeUnit.MILLISECONDS.sleep(5);
		}
	}

}
