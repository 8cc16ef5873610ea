package dev.idempotent.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

/**
 * A store in this JVM's memory: thread-safe and expiring, for tests and single-instance
 * applications. It protects one process only; records are lost on restart.
 * <p>
 * Expiry follows the given {@link Clock}, so tests can move time. Expired records are invisible at
 * once and swept out every few thousand writes, without a thread of its own.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

	private static final int SWEEP_EVERY = 4096;

	private final ConcurrentMap<String, IdempotencyRecord> records = new ConcurrentHashMap<>();

	private final AtomicLong writes = new AtomicLong();

	private final Clock clock;

	public InMemoryIdempotencyStore() {
		this(Clock.systemUTC());
	}

	public InMemoryIdempotencyStore(Clock clock) {
		this.clock = Objects.requireNonNull(clock, "clock");
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		sweepNowAndThen();
		Instant now = this.clock.instant();
		IdempotencyRecord claimed = new IdempotencyRecord(key, RecordState.IN_PROGRESS, owner, fingerprint, now,
				now.plus(lease), null);
		IdempotencyRecord holder = this.records.compute(key,
				(k, existing) -> (existing == null || isExpired(existing, now)) ? claimed : existing);
		return (holder == claimed) ? ClaimResult.acquired() : ClaimResult.existing(holder);
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
		sweepNowAndThen();
		Instant now = this.clock.instant();
		boolean[] updated = new boolean[1];
		this.records.computeIfPresent(key, (k, record) -> {
			if (isExpired(record, now)) {
				return null;
			}
			if (record.state() != RecordState.IN_PROGRESS || !record.owner().equals(owner)) {
				return record;
			}
			updated[0] = true;
			return update.apply(record, now);
		});
		return updated[0];
	}

	@Override
	public boolean delete(String key) {
		IdempotencyRecord removed = this.records.remove(key);
		return removed != null && !isExpired(removed, this.clock.instant());
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		IdempotencyRecord record = this.records.get(key);
		return (record == null || isExpired(record, this.clock.instant())) ? Optional.empty() : Optional.of(record);
	}

	/** How many records are held, expired ones not yet swept included. */
	public int size() {
		return this.records.size();
	}

	private static boolean isExpired(IdempotencyRecord record, Instant now) {
		return record.expiresAt() != null && !now.isBefore(record.expiresAt());
	}

	private void sweepNowAndThen() {
		if (this.writes.incrementAndGet() % SWEEP_EVERY == 0) {
			Instant now = this.clock.instant();
			this.records.values().removeIf((record) -> isExpired(record, now));
		}
	}

	@FunctionalInterface
	private interface Update {

		@Nullable IdempotencyRecord apply(IdempotencyRecord record, Instant now);

	}

}
