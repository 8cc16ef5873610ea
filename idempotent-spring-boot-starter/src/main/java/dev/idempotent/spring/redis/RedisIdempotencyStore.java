package dev.idempotent.spring.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.idempotent.core.ClaimResult;
import dev.idempotent.core.IdempotencyRecord;
import dev.idempotent.core.IdempotencyStore;
import dev.idempotent.core.RecordState;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * An {@link IdempotencyStore} on Redis 6.2 or newer, standalone, Sentinel or Cluster.
 * <p>
 * A record is one hash ({@code state}, {@code owner}, {@code fingerprint}, {@code created},
 * {@code outcome}) under its storage key. Every primitive is one Lua script touching that one key,
 * run with EVALSHA (falling back to EVAL), so it is atomic and works in any cluster slot. Every
 * write sets a TTL: the lease while in progress, the retention once completed. Owner checks happen
 * inside the scripts, so a caller whose lease lapsed can never change a newer claim.
 */
public class RedisIdempotencyStore implements IdempotencyStore {

	private static final String IN_PROGRESS = RecordState.IN_PROGRESS.name();

	private static final String COMPLETED = RecordState.COMPLETED.name();

	// Returns {} when claimed, else the holder: state, owner, fingerprint, created, outcome, pttl.
	@SuppressWarnings("rawtypes")
	private static final RedisScript<List> CLAIM = RedisScript.of("""
			if redis.call('EXISTS', KEYS[1]) == 0 then
				redis.call('HSET', KEYS[1], 'state', 'IN_PROGRESS', 'owner', ARGV[1], 'fingerprint', ARGV[2], 'created', ARGV[3])
				redis.call('PEXPIRE', KEYS[1], ARGV[4])
				return {}
			end
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'fingerprint', 'created', 'outcome')
			return {r[1], r[2], r[3], r[4], r[5], redis.call('PTTL', KEYS[1])}
			""", List.class);

	private static final RedisScript<Long> COMPLETE = RedisScript.of("""
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
			if r[1] ~= 'IN_PROGRESS' or r[2] ~= ARGV[1] then
				return 0
			end
			redis.call('HSET', KEYS[1], 'state', 'COMPLETED', 'outcome', ARGV[2])
			redis.call('PEXPIRE', KEYS[1], ARGV[3])
			return 1
			""", Long.class);

	private static final RedisScript<Long> RELEASE = RedisScript.of("""
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
			if r[1] ~= 'IN_PROGRESS' or r[2] ~= ARGV[1] then
				return 0
			end
			return redis.call('DEL', KEYS[1])
			""", Long.class);

	private static final RedisScript<Long> EXTEND = RedisScript.of("""
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
			if r[1] ~= 'IN_PROGRESS' or r[2] ~= ARGV[1] then
				return 0
			end
			return redis.call('PEXPIRE', KEYS[1], ARGV[2])
			""", Long.class);

	@SuppressWarnings("rawtypes")
	private static final RedisScript<List> FIND = RedisScript.of("""
			if redis.call('EXISTS', KEYS[1]) == 0 then
				return {}
			end
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'fingerprint', 'created', 'outcome')
			return {r[1], r[2], r[3], r[4], r[5], redis.call('PTTL', KEYS[1])}
			""", List.class);

	private final StringRedisTemplate redis;

	private final Clock clock;

	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory) {
		this(connectionFactory, Clock.systemUTC());
	}

	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock) {
		this.redis = new StringRedisTemplate(connectionFactory);
		this.clock = Objects.requireNonNull(clock, "clock");
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		List<?> holder = this.redis.execute(CLAIM, List.of(key), owner, (fingerprint != null) ? fingerprint : "",
				Long.toString(this.clock.millis()), Long.toString(lease.toMillis()));
		if (holder == null || holder.isEmpty()) {
			return ClaimResult.acquired();
		}
		return ClaimResult.existing(toRecord(key, holder));
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		return isOne(this.redis.execute(COMPLETE, List.of(key), owner, outcome, Long.toString(retention.toMillis())));
	}

	@Override
	public boolean release(String key, String owner) {
		return isOne(this.redis.execute(RELEASE, List.of(key), owner));
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		return isOne(this.redis.execute(EXTEND, List.of(key), owner, Long.toString(lease.toMillis())));
	}

	@Override
	public boolean delete(String key) {
		return Boolean.TRUE.equals(this.redis.delete(key));
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		List<?> record = this.redis.execute(FIND, List.of(key));
		return (record == null || record.isEmpty()) ? Optional.empty() : Optional.of(toRecord(key, record));
	}

	private IdempotencyRecord toRecord(String key, List<?> fields) {
		String state = (String) fields.get(0);
		if (!IN_PROGRESS.equals(state) && !COMPLETED.equals(state)) {
			throw new IllegalStateException("Redis key '" + key + "' does not hold an idempotency record");
		}
		String fingerprint = (String) fields.get(2);
		Object created = fields.get(3);
		long ttl = ((Number) fields.get(5)).longValue();
		Instant now = this.clock.instant();
		return new IdempotencyRecord(key, RecordState.valueOf(state), String.valueOf(fields.get(1)),
				(fingerprint == null || fingerprint.isEmpty()) ? null : fingerprint,
				(created != null) ? Instant.ofEpochMilli(Long.parseLong(created.toString())) : now,
				(ttl >= 0) ? now.plusMillis(ttl) : null, (String) fields.get(4));
	}

	private static boolean isOne(@Nullable Long result) {
		return result != null && result == 1L;
	}

}
