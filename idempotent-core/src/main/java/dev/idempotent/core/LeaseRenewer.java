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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * Renews the leases of running calls, shared by every call of an engine.
 * <p>
 * One thread sweeps the running calls every {@link #DEFAULT_SWEEP_PERIOD} and hands each renewal
 * that is due to a worker of its own, so a renewal stuck on a slow store never delays another call's;
 * a call has at most one renewal in flight, and a store call is bounded by the store's own timeout.
 * A running call costs an entry in a set: starting and finishing one wakes no thread.
 */
public final class LeaseRenewer implements AutoCloseable {

	/** How often running calls are checked for a renewal that is due, or a lease that lapsed. */
	public static final Duration DEFAULT_SWEEP_PERIOD = Duration.ofMillis(50);

	// Renewals in flight at once; beyond that a due renewal waits for the next sweep.
	private static final int MAX_WORKERS = 64;

	private final Set<Renewable> running = ConcurrentHashMap.newKeySet();

	private final ScheduledThreadPoolExecutor sweeper;

	private final ThreadPoolExecutor workers;

	private final Duration sweepPeriod;

	/** A renewer with daemon threads of its own, stopped by {@link #close()}. */
	public LeaseRenewer() {
		this(DEFAULT_SWEEP_PERIOD);
	}

	/**
	 * @param sweepPeriod how often running calls are checked; a renewal may run that much later than due
	 */
	public LeaseRenewer(Duration sweepPeriod) {
		if (sweepPeriod.toMillis() < 1) {
			throw new IllegalArgumentException("sweepPeriod must be at least 1 ms, was " + sweepPeriod);
		}
		this.sweepPeriod = sweepPeriod;
		this.sweeper = new ScheduledThreadPoolExecutor(1, daemon("idempotent-lease-sweep"));
		this.sweeper.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
		this.workers = new ThreadPoolExecutor(0, MAX_WORKERS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
				daemon("idempotent-lease-renewal-"));
		long millis = sweepPeriod.toMillis();
		this.sweeper.scheduleWithFixedDelay(this::sweep, millis, millis, TimeUnit.MILLISECONDS);
	}

	private static ThreadFactory daemon(String name) {
		AtomicInteger count = new AtomicInteger();
		return (task) -> {
			Thread thread = new Thread(task, name.endsWith("-") ? name + count.incrementAndGet() : name);
			thread.setDaemon(true);
			return thread;
		};
	}

	/** How late a due renewal may start. */
	Duration sweepPeriod() {
		return this.sweepPeriod;
	}

	/**
	 * Watches a running call until {@link #remove} or until it answers no more work.
	 * @return {@code false} if the renewer is closed (the call then runs on its lease alone)
	 */
	boolean add(Renewable call) {
		if (this.sweeper.isShutdown()) {
			return false;
		}
		this.running.add(call);
		return true;
	}

	void remove(Renewable call) {
		this.running.remove(call);
	}

	// How many calls it holds: running, or with an outcome still to store.
	int held() {
		return this.running.size();
	}

	private void sweep() {
		long now = System.nanoTime();
		for (Renewable call : this.running) {
			Runnable work;
			try {
				work = call.due(now);
			}
			catch (RuntimeException ex) {
				continue;
			}
			if (work == null) {
				continue;
			}
			try {
				this.workers.execute(work);
			}
			catch (RejectedExecutionException ex) {
				call.notStarted();
			}
		}
	}

	/** Stops the renewer's threads; calls still running keep their claims until their leases lapse. */
	@Override
	public void close() {
		this.sweeper.shutdownNow();
		this.workers.shutdownNow();
		for (Renewable call : this.running) {
			try {
				call.abandoned();
			}
			catch (RuntimeException ex) {
				// Closing goes on: every call is told.
			}
		}
		this.running.clear();
	}

	/** A running call, as the renewer sees it. */
	interface Renewable {

		/**
		 * Asked on every sweep.
		 * @param nowNanos {@link System#nanoTime()} of the sweep
		 * @return the work that is due (a renewal, or telling that the lease lapsed), to run on a
		 * worker; {@code null} when nothing is due or work is already in flight
		 */
		@Nullable Runnable due(long nowNanos);

		/** The work {@link #due} handed out could not start; it is due again at the next sweep. */
		void notStarted();

		/** The renewer was closed while the call was still watched: no more work will run for it. */
		default void abandoned() {
		}

	}

}
