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
package dev.idempotent.core.store;

import java.lang.ref.WeakReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A store in this JVM's memory: thread-safe, expiring and bounded, for tests and single-instance
 * applications. It protects one process only; records are lost on restart.
 * <p>
 * Expiry follows the given {@link Clock}, so tests can move time. Expired records are invisible at
 * once, and swept out every sweep interval on a daemon thread of the store's own, never on a
 * caller's thread; {@link #close()} stops that thread.
 * <p>
 * The store holds at most {@code maxRecords} records: claims, completed records and live tokens. A
 * claim or a token that needs a new record when the store is full of live records is refused with an
 * {@link IllegalStateException}, which the engine answers as a storage outage (503); a live record
 * is never dropped to make room. Expired records do not count: a full store drops them before it
 * refuses anything. Consuming a token ({@link #tryClaimToken}) needs no new record, so it is never
 * refused.
 * <p>
 * An acquired claim's {@linkplain ClaimResult#fence() fence} is a counter of the store's: every
 * claim, of any key, gets a greater one than every claim before it.
 * <p>
 * A live one-time token is held under its key as a record whose owner no claim can have, invisible
 * to {@link #find}.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore, AutoCloseable {

	/** How many records a store holds at most unless told otherwise. */
	public static final int DEFAULT_MAX_RECORDS = 100_000;

	/** How often expired records are swept out unless told otherwise. */
	public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);

	private static final Logger logger = LoggerFactory.getLogger(InMemoryIdempotencyStore.class);

	// The owner of a live token: a value no claim's owner token can equal, as it is not printable.
	private static final String TOKEN = "\u0000token";

	private final ConcurrentMap<String, IdempotencyRecord> records = new ConcurrentHashMap<>();

	// The records held, expired ones not yet swept included; counted on every add and removal, so the
	// bound is exact however many callers race for the last places.
	private final AtomicInteger held = new AtomicInteger();

	// No record held expires before this (epoch milliseconds). A lower bound, not the minimum: it lets
	// a full store skip looking for expired records when there can be none.
	private final AtomicLong earliestExpiry = new AtomicLong(Long.MAX_VALUE);

	private final AtomicLong fences = new AtomicLong();

	private final ReentrantLock sweeping = new ReentrantLock();

	private final Clock clock;

	private final int maxRecords;

	private final ScheduledExecutorService sweeper;

	/**
	 * A store on the system clock, holding at most {@link #DEFAULT_MAX_RECORDS} records, sweeping
	 * every {@link #DEFAULT_SWEEP_INTERVAL}.
	 */
	public InMemoryIdempotencyStore() {
		this(Clock.systemUTC());
	}

	/**
	 * A store whose records expire by the given clock, holding at most {@link #DEFAULT_MAX_RECORDS}
	 * records, sweeping every {@link #DEFAULT_SWEEP_INTERVAL}.
	 * @param clock the clock every expiry is measured on, the sweep's included
	 */
	public InMemoryIdempotencyStore(Clock clock) {
		this(clock, DEFAULT_MAX_RECORDS, DEFAULT_SWEEP_INTERVAL);
	}

	/**
	 * A store with its bound and sweep interval.
	 * @param clock the clock every expiry is measured on, the sweep's included
	 * @param maxRecords how many records (claims, completed records, live tokens) the store holds at
	 * most; at least 1
	 * @param sweepInterval how often the store's own thread removes expired records; at least 1 ms
	 */
	public InMemoryIdempotencyStore(Clock clock, int maxRecords, Duration sweepInterval) {
		this.clock = Objects.requireNonNull(clock, "clock");
		if (maxRecords < 1) {
			throw new IllegalArgumentException("maxRecords must be at least 1, was " + maxRecords);
		}
		if (sweepInterval == null || sweepInterval.toMillis() < 1) {
			throw new IllegalArgumentException("sweepInterval must be at least 1 ms, was " + sweepInterval);
		}
		this.maxRecords = maxRecords;
		// Named after this store, so a thread dump tells the sweeps of several stores apart.
		String name = "idempotent-memory-sweep-" + Integer.toHexString(System.identityHashCode(this));
		ScheduledThreadPoolExecutor sweeper = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, name);
			thread.setDaemon(true);
			return thread;
		});
		sweeper.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
		long millis = sweepInterval.toMillis();
		sweeper.scheduleWithFixedDelay(new Sweep(new WeakReference<>(this), sweeper), millis, millis,
				TimeUnit.MILLISECONDS);
		this.sweeper = sweeper;
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		Instant now = this.clock.instant();
		IdempotencyRecord claimed = claimed(key, owner, fingerprint, now, lease);
		return withRoom(now, () -> {
			long[] fence = new long[1];
			boolean[] full = new boolean[1];
			IdempotencyRecord holder = this.records.compute(key, (k, existing) -> {
				if (existing != null && !isExpired(existing, now)) {
					return existing;
				}
				if (existing == null && !admit()) {
					full[0] = true;
					return null;
				}
				fence[0] = this.fences.incrementAndGet();
				return claimed;
			});
			if (full[0]) {
				return null;
			}
			if (holder != claimed) {
				return ClaimResult.existing(holder);
			}
			noteExpiry(claimed);
			return ClaimResult.acquired(fence[0]);
		});
	}

	@Override
	public boolean issueToken(String key, Duration ttl) {
		Instant now = this.clock.instant();
		IdempotencyRecord token = token(key, now, ttl);
		return withRoom(now, () -> {
			boolean[] full = new boolean[1];
			IdempotencyRecord holder = this.records.compute(key, (k, existing) -> {
				if (existing != null && !isExpired(existing, now)) {
					return existing;
				}
				if (existing == null && !admit()) {
					full[0] = true;
					return null;
				}
				return token;
			});
			if (full[0]) {
				return null;
			}
			if (holder != token) {
				return false;
			}
			noteExpiry(token);
			return true;
		});
	}

	// The token's record becomes the claim's, so a token claim needs no room.
	@Override
	public ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		Instant now = this.clock.instant();
		IdempotencyRecord claimed = claimed(key, owner, fingerprint, now, lease);
		long[] fence = new long[1];
		IdempotencyRecord holder = this.records.computeIfPresent(key, (k, existing) -> {
			if (isExpired(existing, now)) {
				this.held.decrementAndGet();
				return null;
			}
			if (!isToken(existing)) {
				return existing;
			}
			fence[0] = this.fences.incrementAndGet();
			return claimed;
		});
		if (holder == null) {
			return ClaimResult.noLiveToken();
		}
		if (holder != claimed) {
			return ClaimResult.existing(holder);
		}
		noteExpiry(claimed);
		return ClaimResult.acquired(fence[0]);
	}

	@Override
	public boolean releaseTokenClaim(String key, String owner, Duration ttl) {
		return updateOwned(key, owner, (record, now) -> token(key, now, ttl));
	}

	private static IdempotencyRecord claimed(String key, String owner, @Nullable String fingerprint, Instant now,
			Duration lease) {
		return new IdempotencyRecord(key, RecordState.IN_PROGRESS, owner, fingerprint, now, now.plus(lease), null);
	}

	private static IdempotencyRecord token(String key, Instant now, Duration ttl) {
		return new IdempotencyRecord(key, RecordState.IN_PROGRESS, TOKEN, null, now, now.plus(ttl), null);
	}

	private static boolean isToken(IdempotencyRecord record) {
		return TOKEN.equals(record.owner());
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		return updateOwned(key, owner, (record, now) -> new IdempotencyRecord(key, RecordState.COMPLETED, owner,
				record.fingerprint(), record.createdAt(), now.plus(retention), outcome));
	}

	@Override
	public boolean release(String key, String owner) {
		return updateOwned(key, owner, (record, now) -> null);
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		return updateOwned(key, owner, (record, now) -> new IdempotencyRecord(key, record.state(), owner,
				record.fingerprint(), record.createdAt(), now.plus(lease), null));
	}

	private boolean updateOwned(String key, String owner, Update update) {
		Instant now = this.clock.instant();
		boolean[] updated = new boolean[1];
		IdempotencyRecord written = this.records.computeIfPresent(key, (k, record) -> {
			if (isExpired(record, now)) {
				this.held.decrementAndGet();
				return null;
			}
			if (record.state() != RecordState.IN_PROGRESS || !record.owner().equals(owner) || isToken(record)) {
				return record;
			}
			updated[0] = true;
			IdempotencyRecord replacement = update.apply(record, now);
			if (replacement == null) {
				this.held.decrementAndGet();
			}
			return replacement;
		});
		if (updated[0] && written != null) {
			noteExpiry(written);
		}
		return updated[0];
	}

	@Override
	public boolean delete(String key) {
		IdempotencyRecord removed = this.records.remove(key);
		if (removed == null) {
			return false;
		}
		this.held.decrementAndGet();
		return !isExpired(removed, this.clock.instant());
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		IdempotencyRecord record = this.records.get(key);
		return (record == null || isToken(record) || isExpired(record, this.clock.instant())) ? Optional.empty()
				: Optional.of(record);
	}

	/** How many records are held, expired ones not yet swept included. */
	public int size() {
		return this.held.get();
	}

	/**
	 * Stops the thread that sweeps out expired records. The store still answers, and a full store
	 * still drops expired records before it refuses a claim.
	 */
	@Override
	public void close() {
		this.sweeper.shutdownNow();
	}

	private static boolean isExpired(IdempotencyRecord record, Instant now) {
		return record.expiresAt() != null && !now.isBefore(record.expiresAt());
	}

	// Takes a place for a new record, if there is one; called where the record is added.
	private boolean admit() {
		if (this.held.incrementAndGet() <= this.maxRecords) {
			return true;
		}
		this.held.decrementAndGet();
		return false;
	}

	/**
	 * Runs a write that may add a record; when it finds no room ({@code null}), drops the expired
	 * records and runs it once more.
	 */
	private <T> T withRoom(Instant now, Supplier<@Nullable T> write) {
		T result = write.get();
		if (result != null) {
			return result;
		}
		dropExpired(now);
		result = write.get();
		if (result != null) {
			return result;
		}
		throw new IllegalStateException("The in-memory idempotency store is full: it holds " + this.maxRecords
				+ " live records (claims, completed records and one-time tokens), its maximum, so a new claim is "
				+ "refused. Raise the maximum (idempotent.memory.max-records), shorten the retention, or use a "
				+ "shared store (Redis or JDBC)");
	}

	// Sweeps on the caller's thread only when the store is full and a record held may have expired:
	// a store full of live records refuses without looking at them.
	private void dropExpired(Instant now) {
		if (millis(now) < this.earliestExpiry.get()) {
			return;
		}
		this.sweeping.lock();
		try {
			if (millis(now) >= this.earliestExpiry.get()) {
				sweep(now);
			}
		}
		finally {
			this.sweeping.unlock();
		}
	}

	private void sweepScheduled() {
		this.sweeping.lock();
		try {
			int removed = sweep(this.clock.instant());
			if (removed > 0) {
				logger.debug("Swept {} expired idempotency records", removed);
			}
		}
		catch (RuntimeException ex) {
			logger.warn("Could not sweep expired idempotency records; trying again at the next sweep", ex);
		}
		finally {
			this.sweeping.unlock();
		}
	}

	// Runs under the sweeping lock. Writes note their expiry after they are in the map, so a record
	// written while this runs is either seen here or noted after the reset.
	private int sweep(Instant now) {
		this.earliestExpiry.getAndSet(Long.MAX_VALUE);
		int removed = 0;
		for (Map.Entry<String, IdempotencyRecord> entry : this.records.entrySet()) {
			IdempotencyRecord record = entry.getValue();
			if (!isExpired(record, now)) {
				noteExpiry(record);
			}
			else if (this.records.remove(entry.getKey(), record)) {
				this.held.decrementAndGet();
				removed++;
			}
		}
		return removed;
	}

	private void noteExpiry(IdempotencyRecord record) {
		long expiry = millis(record.expiresAt());
		if (expiry < this.earliestExpiry.get()) {
			this.earliestExpiry.accumulateAndGet(expiry, Math::min);
		}
	}

	private static long millis(@Nullable Instant instant) {
		if (instant == null) {
			return Long.MAX_VALUE;
		}
		try {
			return instant.toEpochMilli();
		}
		catch (ArithmeticException ex) {
			return (instant.getEpochSecond() < 0) ? Long.MIN_VALUE : Long.MAX_VALUE;
		}
	}

	@FunctionalInterface
	private interface Update {

		@Nullable IdempotencyRecord apply(IdempotencyRecord record, Instant now);

	}

	/**
	 * The scheduled sweep. It holds its store weakly, so a store nobody closed is still collected,
	 * and then the thread ends.
	 */
	private static final class Sweep implements Runnable {

		private final WeakReference<InMemoryIdempotencyStore> store;

		private final ScheduledExecutorService sweeper;

		Sweep(WeakReference<InMemoryIdempotencyStore> store, ScheduledExecutorService sweeper) {
			this.store = store;
			this.sweeper = sweeper;
		}

		@Override
		public void run() {
			InMemoryIdempotencyStore store = this.store.get();
			if (store == null) {
				this.sweeper.shutdown();
				return;
			}
			store.sweepScheduled();
		}

	}

}
