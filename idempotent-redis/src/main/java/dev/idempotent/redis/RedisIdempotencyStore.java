package dev.idempotent.redis;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
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
 * <p>
 * A live one-time token is a hash holding only {@code state = TOKEN} under the storage key its call
 * will claim, with the token's time to live. Claiming it turns that hash into the record, in one
 * script on one key, so a token is consumed exactly once.
 * <h2>Durability</h2>
 * Redis replicates asynchronously: a write acknowledged by the master can be lost if the master
 * fails before a replica received it, and a replica promoted by Sentinel then lets a duplicate run.
 * With {@code minReplicasAcked} above zero, a claim and a completion are each followed by
 * {@code WAIT minReplicasAcked timeout} on the same connection. A claim that not enough replicas
 * acknowledged in time is released again and fails (the engine answers 503): the method does not
 * run on a claim a failover could forget. A completion that is not acknowledged in time is logged
 * at WARN and stands, since the method already ran. The write and its {@code WAIT} are pipelined on
 * a dedicated connection, so a slow {@code WAIT} never holds up the shared one; configure a Lettuce
 * pool for it. Not supported on Redis Cluster.
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

	// Returns {} when the token was consumed, {'NO_TOKEN'} when there is none, else the holder as CLAIM.
	@SuppressWarnings("rawtypes")
	private static final RedisScript<List> CLAIM_TOKEN = RedisScript.of("""
			local state = redis.call('HGET', KEYS[1], 'state')
			if state == 'TOKEN' then
				redis.call('HSET', KEYS[1], 'state', 'IN_PROGRESS', 'owner', ARGV[1], 'fingerprint', ARGV[2],
					'created', ARGV[3])
				redis.call('PEXPIRE', KEYS[1], ARGV[4])
				return {}
			end
			if not state then
				return {'NO_TOKEN'}
			end
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'fingerprint', 'created', 'outcome')
			return {r[1], r[2], r[3], r[4], r[5], redis.call('PTTL', KEYS[1])}
			""", List.class);

	private static final RedisScript<Long> ISSUE_TOKEN = RedisScript.of("""
			if redis.call('EXISTS', KEYS[1]) == 1 then
				return 0
			end
			redis.call('HSET', KEYS[1], 'state', 'TOKEN')
			redis.call('PEXPIRE', KEYS[1], ARGV[1])
			return 1
			""", Long.class);

	private static final RedisScript<Long> RELEASE_TOKEN = RedisScript.of("""
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
			if r[1] ~= 'IN_PROGRESS' or r[2] ~= ARGV[1] then
				return 0
			end
			redis.call('DEL', KEYS[1])
			redis.call('HSET', KEYS[1], 'state', 'TOKEN')
			redis.call('PEXPIRE', KEYS[1], ARGV[2])
			return 1
			""", Long.class);

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
			if r[1] == 'TOKEN' then
				return {}
			end
			return {r[1], r[2], r[3], r[4], r[5], redis.call('PTTL', KEYS[1])}
			""", List.class);

	private static final Logger logger = LoggerFactory.getLogger(RedisIdempotencyStore.class);

	/** How much longer than the WAIT timeout a reply may take before the call gives up. */
	private static final Duration ACK_GRACE = Duration.ofSeconds(5);

	private final StringRedisTemplate redis;

	private final Clock clock;

	private final int minReplicasAcked;

	private final Duration replicaAckTimeout;

	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory) {
		this(connectionFactory, Clock.systemUTC());
	}

	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock) {
		this(connectionFactory, clock, 0, Duration.ofSeconds(1));
	}

	/**
	 * @param connectionFactory the Redis to use
	 * @param clock the clock that stamps records' creation
	 * @param minReplicasAcked how many replicas must acknowledge a claim and a completion; 0 to not wait
	 * @param replicaAckTimeout how long to wait for those acknowledgements
	 */
	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock, int minReplicasAcked,
			Duration replicaAckTimeout) {
		if (minReplicasAcked < 0) {
			throw new IllegalArgumentException("minReplicasAcked must not be negative, was " + minReplicasAcked);
		}
		if (replicaAckTimeout.isNegative() || (minReplicasAcked > 0 && replicaAckTimeout.isZero())) {
			throw new IllegalArgumentException("replicaAckTimeout must be positive, was " + replicaAckTimeout);
		}
		this.redis = new StringRedisTemplate(connectionFactory);
		this.clock = Objects.requireNonNull(clock, "clock");
		this.minReplicasAcked = minReplicasAcked;
		this.replicaAckTimeout = replicaAckTimeout;
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return claim(CLAIM, key, owner, fingerprint, lease, () -> release(key, owner));
	}

	@Override
	public ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		// A claim the replicas did not acknowledge gives its token back; the store does not know the
		// token's time to live, so it lives one lease, ample for the retry its 503 invites.
		return claim(CLAIM_TOKEN, key, owner, fingerprint, lease, () -> releaseTokenClaim(key, owner, lease));
	}

	@Override
	public boolean issueToken(String key, Duration ttl) {
		return isOne(this.redis.execute(ISSUE_TOKEN, List.of(key), Long.toString(ttl.toMillis())));
	}

	@Override
	public boolean releaseTokenClaim(String key, String owner, Duration ttl) {
		return isOne(this.redis.execute(RELEASE_TOKEN, List.of(key), owner, Long.toString(ttl.toMillis())));
	}

	@SuppressWarnings("rawtypes")
	private ClaimResult claim(RedisScript<List> script, String key, String owner, @Nullable String fingerprint,
			Duration lease, Runnable undo) {
		Object[] args = { owner, (fingerprint != null) ? fingerprint : "", Long.toString(this.clock.millis()),
				Long.toString(lease.toMillis()) };
		if (this.minReplicasAcked == 0) {
			return toClaimResult(key, this.redis.execute(script, List.of(key), args));
		}
		Acknowledged acknowledged = runAndWait(script, key, args);
		ClaimResult claim = toClaimResult(key, (List<?>) acknowledged.result());
		if (claim.isAcquired() && acknowledged.replicas() < this.minReplicasAcked) {
			// Fail closed: a failover could forget this claim, and a duplicate would run again.
			undo.run();
			throw new IllegalStateException("Idempotency claim acknowledged by " + acknowledged.replicas() + " of "
					+ this.minReplicasAcked + " required Redis replicas within " + this.replicaAckTimeout);
		}
		return claim;
	}

	private ClaimResult toClaimResult(String key, @Nullable List<?> holder) {
		if (holder == null || holder.isEmpty()) {
			return ClaimResult.acquired();
		}
		if (holder.size() == 1) {
			return ClaimResult.noLiveToken();
		}
		return ClaimResult.existing(toRecord(key, holder));
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		Object[] args = { owner, outcome, Long.toString(retention.toMillis()) };
		if (this.minReplicasAcked == 0) {
			return isOne(this.redis.execute(COMPLETE, List.of(key), args));
		}
		Acknowledged acknowledged = runAndWait(COMPLETE, key, args);
		boolean completed = isOne((Long) acknowledged.result());
		if (completed && acknowledged.replicas() < this.minReplicasAcked) {
			logger.warn("Idempotent outcome stored on the Redis master but acknowledged by {} of {} required replicas "
					+ "within {}: a failover now could lose it [storageKey={}]", acknowledged.replicas(),
					this.minReplicasAcked, this.replicaAckTimeout, key);
		}
		return completed;
	}

	/**
	 * Runs the script, then WAIT, on the pipeline's connection: a pipeline gets a connection of its
	 * own, so WAIT counts the replicas that have this write and holds up no other caller while it
	 * waits. Needs Lettuce, whose native commands give WAIT's integer reply.
	 */
	private Acknowledged runAndWait(RedisScript<?> script, String key, Object... args) {
		byte[][] argv = new byte[args.length][];
		for (int i = 0; i < args.length; i++) {
			argv[i] = bytes((String) args[i]);
		}
		ScriptOutputType output = List.class.isAssignableFrom(Objects.requireNonNull(script.getResultType()))
				? ScriptOutputType.MULTI : ScriptOutputType.INTEGER;
		long waitMillis = this.replicaAckTimeout.toMillis();
		Acknowledged[] acknowledged = new Acknowledged[1];
		this.redis.executePipelined((RedisCallback<Object>) (connection) -> {
			if (!(connection.getNativeConnection() instanceof RedisClusterAsyncCommands<?, ?> commands)) {
				throw new IllegalStateException("idempotent.redis.min-replicas-acked needs Lettuce");
			}
			@SuppressWarnings("unchecked")
			RedisClusterAsyncCommands<byte[], byte[]> lettuce = (RedisClusterAsyncCommands<byte[], byte[]>) commands;
			RedisFuture<Object> result = lettuce.eval(script.getScriptAsString(), output, new byte[][] { bytes(key) },
					argv);
			RedisFuture<Long> replicas = lettuce.waitForReplication(this.minReplicasAcked, waitMillis);
			long deadline = waitMillis + ACK_GRACE.toMillis();
			acknowledged[0] = new Acknowledged(decode(await(result, deadline)), await(replicas, deadline).intValue());
			return null;
		});
		return acknowledged[0];
	}

	private static <T> T await(RedisFuture<T> future, long millis) {
		try {
			return future.get(millis, TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException("Redis failed: " + ex.getCause().getMessage(), ex.getCause());
		}
		catch (TimeoutException ex) {
			future.cancel(true);
			throw new IllegalStateException("Redis did not answer within " + millis + " ms", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for Redis", ex);
		}
	}

	/** Lettuce's raw reply as the template would give it: bulk strings as text. */
	private static @Nullable Object decode(@Nullable Object reply) {
		if (reply instanceof byte[] bulk) {
			return new String(bulk, StandardCharsets.UTF_8);
		}
		if (reply instanceof List<?> list) {
			List<@Nullable Object> decoded = new ArrayList<>(list.size());
			list.forEach((element) -> decoded.add(decode(element)));
			return decoded;
		}
		return reply;
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	private record Acknowledged(@Nullable Object result, int replicas) {
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
