package dev.idempotent.core.store;

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
 * once and swept out every few thousand writes, without a thread of its own. A live one-time token
 * is held under its key as a record whose owner no claim can have, invisible to {@link #find}.
 */
public final class InMemoryIdempotencyStore implements IdempotencyStore {

	private static final int SWEEP_EVERY = 4096;

	// The owner of a live token: a value no claim's owner token can equal, as it is not printable.
	private static final String TOKEN = "\u0000token";

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
		IdempotencyRecord claimed = claimed(key, owner, fingerprint, now, lease);
		IdempotencyRecord holder = this.records.compute(key,
				(k, existing) -> (existing == null || isExpired(existing, now)) ? claimed : existing);
		return (holder == claimed) ? ClaimResult.acquired() : ClaimResult.existing(holder);
	}

	@Override
	public boolean issueToken(String key, Duration ttl) {
		sweepNowAndThen();
		Instant now = this.clock.instant();
		IdempotencyRecord token = token(key, now, ttl);
		return this.records.compute(key,
				(k, existing) -> (existing == null || isExpired(existing, now)) ? token : existing) == token;
	}

	@Override
	public ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		sweepNowAndThen();
		Instant now = this.clock.instant();
		IdempotencyRecord claimed = claimed(key, owner, fingerprint, now, lease);
		IdempotencyRecord holder = this.records.computeIfPresent(key, (k, existing) -> {
			if (isExpired(existing, now)) {
				return null;
			}
			return isToken(existing) ? claimed : existing;
		});
		if (holder == null) {
			return ClaimResult.noLiveToken();
		}
		return (holder == claimed) ? ClaimResult.acquired() : ClaimResult.existing(holder);
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
		sweepNowAndThen();
		Instant now = this.clock.instant();
		boolean[] updated = new boolean[1];
		this.records.computeIfPresent(key, (k, record) -> {
			if (isExpired(record, now)) {
				return null;
			}
			if (record.state() != RecordState.IN_PROGRESS || !record.owner().equals(owner) || isToken(record)) {
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
		return (record == null || isToken(record) || isExpired(record, this.clock.instant())) ? Optional.empty()
				: Optional.of(record);
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
