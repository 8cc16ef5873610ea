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
package dev.idempotent.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database's clock, as seen from this JVM: the local clock plus an offset measured by asking
 * the database for its time, on first use and again every {@link #REFRESH} (on the thread that
 * needs the time then; the others go on with the previous offset meanwhile). Every application
 * instance on one table then stamps and expires rows by the same clock, however far their own
 * clocks drift apart: an instance whose clock runs ahead cannot take over a claim that is live by
 * the others' reckoning.
 * <p>
 * The offset is measured to within half the round trip of the reading, and holds between readings
 * as long as the local clock neither jumps nor drifts much in {@link #REFRESH}.
 */
final class DatabaseClock extends Clock {

	/** How often the offset is measured again. */
	static final Duration REFRESH = Duration.ofSeconds(30);

	private static final Logger logger = LoggerFactory.getLogger(DatabaseClock.class);

	private final Clock local;

	private final LongSupplier databaseMicros;

	private final long refreshNanos;

	private final ReentrantLock reading = new ReentrantLock();

	private volatile @Nullable Offset offset;

	/**
	 * @param local the clock the offset is added to
	 * @param databaseMicros reads the database's current time, in microseconds since the epoch
	 * @param refresh how often the offset is measured again
	 */
	DatabaseClock(Clock local, LongSupplier databaseMicros, Duration refresh) {
		this.local = Objects.requireNonNull(local, "local");
		this.databaseMicros = Objects.requireNonNull(databaseMicros, "databaseMicros");
		this.refreshNanos = refresh.toNanos();
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		if (ZoneOffset.UTC.equals(zone)) {
			return this;
		}
		throw new UnsupportedOperationException("The database clock is in UTC");
	}

	@Override
	public Instant instant() {
		long micros = micros();
		return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000), Math.floorMod(micros, 1_000_000) * 1_000L);
	}

	@Override
	public long millis() {
		return Math.floorDiv(micros(), 1_000);
	}

	/** The database's time now, in microseconds since the epoch. */
	long micros() {
		return localMicros() + offset().micros;
	}

	/** How far the database's clock is ahead of the local one, in microseconds, as last measured. */
	long offsetMicros() {
		return offset().micros;
	}

	private Offset offset() {
		Offset current = this.offset;
		if (current == null) {
			// Nothing to go on yet: wait for the first reading (a failure is a storage failure).
			this.reading.lock();
			try {
				current = this.offset;
				if (current == null) {
					current = measure();
					this.offset = current;
				}
			}
			finally {
				this.reading.unlock();
			}
			return current;
		}
		if (System.nanoTime() - current.measuredAt >= this.refreshNanos && this.reading.tryLock()) {
			try {
				if (this.offset == current) {
					this.offset = measure();
				}
			}
			catch (RuntimeException ex) {
				// The previous offset is still good for a while; the next call tries again.
				this.offset = new Offset(current.micros, System.nanoTime() - this.refreshNanos
						+ TimeUnit.SECONDS.toNanos(1));
				logger.debug("Could not read the database's clock; keeping the previous offset of {} us", current.micros,
						ex);
			}
			finally {
				this.reading.unlock();
			}
			return this.offset;
		}
		return current;
	}

	private Offset measure() {
		long before = localMicros();
		long database = this.databaseMicros.getAsLong();
		long after = localMicros();
		Offset measured = new Offset(database - (before + (after - before) / 2), System.nanoTime());
		logger.debug("The database's clock is {} us ahead of this JVM's", measured.micros);
		return measured;
	}

	private long localMicros() {
		Instant now = this.local.instant();
		return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000L), now.getNano() / 1_000);
	}

	/** An offset and when it was measured ({@link System#nanoTime()}). */
	private record Offset(long micros, long measuredAt) {
	}

}
