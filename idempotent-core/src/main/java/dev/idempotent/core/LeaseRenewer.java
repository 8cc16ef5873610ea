package dev.idempotent.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
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

	private final ScheduledExecutorService scheduler;

	private final boolean owned;

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
		this.owned = true;
	}

	/** A renewer on the application's scheduler, which it neither owns nor stops. */
	public LeaseRenewer(ScheduledExecutorService scheduler) {
		this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
		this.owned = false;
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

	/** Stops the renewer's own thread; a renewer on the application's scheduler leaves it running. */
	@Override
	public void close() {
		if (this.owned) {
			this.scheduler.shutdownNow();
		}
	}

}
