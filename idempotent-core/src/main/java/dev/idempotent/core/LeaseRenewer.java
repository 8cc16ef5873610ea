package dev.idempotent.core;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * The one scheduler that renews the leases of running calls, shared by every call of an engine:
 * a running call costs a scheduled task, not a thread. Renewals are short store round trips, so one
 * thread serves many calls.
 */
public final class LeaseRenewer implements AutoCloseable {

	private final ScheduledThreadPoolExecutor scheduler;

	/** A renewer with a daemon thread of its own, stopped by {@link #close()}. */
	public LeaseRenewer() {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "idempotent-lease-renewal");
			thread.setDaemon(true);
			return thread;
		});
		// A finished call cancels its renewal; drop it at once rather than at its next due time.
		executor.setRemoveOnCancelPolicy(true);
		executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
		this.scheduler = executor;
	}

	/**
	 * Runs the renewal every {@code period} until cancelled.
	 * @return the handle to cancel it, or {@code null} if the renewer is shut down (the call then runs
	 * on its lease alone)
	 */
	@Nullable ScheduledFuture<?> schedule(Runnable renewal, Duration period) {
		long millis = Math.max(1, period.toMillis());
		try {
			return this.scheduler.scheduleAtFixedRate(renewal, millis, millis, TimeUnit.MILLISECONDS);
		}
		catch (RejectedExecutionException ex) {
			return null;
		}
	}

	/** Stops the renewer's thread; calls still running keep their claims until their leases lapse. */
	@Override
	public void close() {
		this.scheduler.shutdownNow();
	}

}
