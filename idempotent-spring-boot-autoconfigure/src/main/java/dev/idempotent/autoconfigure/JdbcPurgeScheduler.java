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
package dev.idempotent.autoconfigure;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.idempotent.jdbc.JdbcIdempotencyStore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.context.SmartLifecycle;

/**
 * Deletes the JDBC store's expired rows every interval on one daemon thread of its own, so no
 * request ever waits for a purge. A failed purge is logged and tried again next time.
 */
class JdbcPurgeScheduler implements SmartLifecycle {

	private static final Logger logger = LoggerFactory.getLogger(JdbcPurgeScheduler.class);

	private final JdbcIdempotencyStore store;

	private final Duration interval;

	private @Nullable ScheduledExecutorService executor;

	JdbcPurgeScheduler(JdbcIdempotencyStore store, Duration interval) {
		this.store = store;
		this.interval = interval;
	}

	@Override
	public synchronized void start() {
		if (this.executor != null || this.interval.isZero()) {
			return;
		}
		ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "idempotent-jdbc-purge");
			thread.setDaemon(true);
			return thread;
		});
		long millis = this.interval.toMillis();
		executor.scheduleWithFixedDelay(this::purge, millis, millis, TimeUnit.MILLISECONDS);
		this.executor = executor;
	}

	private void purge() {
		try {
			int deleted = this.store.purgeExpired();
			if (deleted > 0) {
				logger.debug("Purged {} expired idempotency records", deleted);
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Could not purge expired idempotency records; trying again in {}", this.interval, ex);
		}
	}

	@Override
	public synchronized void stop() {
		if (this.executor != null) {
			this.executor.shutdownNow();
			this.executor = null;
		}
	}

	@Override
	public synchronized boolean isRunning() {
		return this.executor != null;
	}

}
