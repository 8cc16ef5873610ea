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
package dev.idempotent.redis;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;

import dev.idempotent.core.StoreDurations;
import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.resource.ClientResources;
import io.netty.util.Timeout;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.util.ClassUtils;

/**
 * An {@link IdempotencyStore} on Redis 6.2 or newer (7.0 or newer for the plain claim), standalone,
 * Sentinel or Cluster.
 * <p>
 * A record is one string under its storage key (the format is described below): a claim is
 * {@code SET key <in progress> NX PX <lease> GET}, a completion {@code SET key <completed> PX <retention>}
 * once the owner was checked. Every primitive touches that one key, so it is atomic and works in any
 * cluster slot. With Lettuce, and without waiting for replicas, a claim is that plain command: it
 * claims a free key or answers the holder's value; a completed holder is the duplicate's answer (its
 * time to live is not read), a holder in progress is read again by the claim script, which gives its
 * time to live too. Every other primitive, and every claim otherwise, is one Lua script run with
 * EVALSHA (falling back to EVAL). A new call costs one command and one script running three
 * ({@code GET}, {@code PTTL}, {@code SET}); a duplicate of a completed call one command. Redis 6.2
 * refuses {@code NX} with {@code GET}: the store then claims with the script from its first claim on.
 * Every write sets a TTL: the lease while in progress, the retention once completed. Owner checks
 * happen inside the scripts, so a caller whose lease lapsed can never change a newer claim.
 * <h2>The record</h2>
 * <ul>
 * <li>In progress: {@code 1|I|<owner>|<lease ms>|<fingerprint>|<created epoch ms>}, living for the lease.</li>
 * <li>Completed: {@code 1|C|<owner>|<fingerprint>|<created epoch ms>|<outcome>}, living for the
 * retention; the outcome, last, may hold anything.</li>
 * <li>A live one-time token: {@code 1|T} under the storage key its call will claim, with the token's
 * time to live. Claiming it turns that value into the record, in one script on one key, so a token
 * is consumed exactly once.</li>
 * </ul>
 * An owner or a fingerprint holding {@code |} is refused with an {@link IllegalArgumentException}
 * (the engine's owners are UUIDs, its fingerprints hexadecimal digests).
 * <h2>Out of memory</h2>
 * Under {@code maxmemory} with {@code noeviction}, Redis refuses {@code SET} but still runs
 * {@code GET}, {@code PTTL} and {@code PEXPIRE}. A completion Redis has no room for is then made
 * without its outcome: the in-progress value stays and its time to live becomes the retention plus
 * its lease. A claim never lives longer than the lease its value holds (a renewal to a longer lease
 * writes that lease into the value), so an in-progress record living longer than its own lease can
 * only have been completed without its outcome: it reads as completed with no outcome (its
 * duplicates are refused, {@code 409 replay-unavailable}, never run again), and its owner can no
 * longer complete, release or extend it. In the last lease of its life it reads as in progress again
 * (a duplicate is told to retry) before the key is free, as any record is once its retention lapsed.
 * A duplicate's claim under {@code noeviction} still reads the holder: its refused {@code SET} is
 * caught inside the script.
 * <h2>Upgrading from the hash record</h2>
 * The previous release kept a record as a hash ({@code state}, {@code owner}, {@code fingerprint},
 * {@code created}, {@code outcome}; a token as {@code state = TOKEN}; a record {@code IN_PROGRESS}
 * without an {@code owner} was completed without its outcome). This release still reads those
 * records: a key that is no string is read as that hash, only on that slow path, so a duplicate of an
 * old record is replayed or refused as before, an old token is consumed once, and {@link #find} and
 * {@link #delete} see old records. An old claim is completed by the old instance that made it: no
 * owner of this release ever holds a hash. An instance of the previous release that meets a record of
 * this release gets {@code WRONGTYPE} from its scripts, so its call fails closed (503) and never runs
 * twice: while both releases run, a duplicate (or a token) that reaches an old instance after a new
 * one wrote its record is answered 503 instead of being replayed, and is answered once the old
 * instances are gone.
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
 * <h2>Timeouts</h2>
 * With Lettuce every call waits at most its command timeout for Redis's answer, whatever the client's
 * own command timeout is (Lettuce's default is 60 seconds): a stalled Redis fails a claim, so the
 * request is refused, and a renewal, which is then retried, instead of holding them up. A call made
 * without blocking is timed on Lettuce's own timer, so it fails up to one tick of it (100 ms by
 * default) after its timeout. Redis's own error (NOAUTH, OOM, READONLY) is thrown as Lettuce reports
 * it, so logs name it.
 * <h2>Fencing</h2>
 * A claim's fence is Redis's clock ({@code TIME}) in microseconds: one clock for every instance of
 * the application, so a later claim of a key gets a greater fence as long as the Redis server's clock
 * does not step back. A plain claim reads no clock: its fence is read {@linkplain #fence on request},
 * by a script that reads it only while the owner holds the key, so it is still lower than that of any
 * later claim. A claim made by the script (a token's, one that waits for replicas, with Jedis, on
 * Redis 6.2) carries its fence.
 * <h2>Near-cache</h2>
 * Given a {@link RedisNearCache}, a claim (token claims included) of a key whose completed record the
 * cache holds is answered with that record without a round trip, and a claim that meets a completed
 * record tells the cache, which learns the key the second time. Redis invalidates the cache when the key changes; {@link #delete}
 * also forgets the key at once on this instance. Records in progress are never cached.
 */
public class RedisIdempotencyStore implements IdempotencyStore {

	private static final Logger logger = LoggerFactory.getLogger(RedisIdempotencyStore.class);

	/** How much longer than the WAIT timeout a reply may take before the call gives up. */
	private static final Duration ACK_GRACE = Duration.ofSeconds(5);

	// The callbacks get the template's connection itself, as its own operations do, not a proxy made for
	// every call that only guards against a close() the callbacks never make.
	private static final boolean EXPOSE_CONNECTION = true;

	// The time to live of a record read without PTTL: unknown.
	private static final Long UNKNOWN_TTL = -1L;

	/** The longest a store call takes by default before it fails: 2 seconds. */
	public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);

	private final StringRedisTemplate redis;

	private final Clock clock;

	private final int minReplicasAcked;

	private final Duration replicaAckTimeout;

	private final Duration commandTimeout;

	// Whether calls go through Lettuce's asynchronous API, bounded by the command timeout.
	private final boolean lettuce;

	// Completed records answered without a round trip; null when the store has no near-cache.
	private final @Nullable RedisNearCache nearCache;

	// Whether a claim is tried as the plain SET NX PX GET first: Redis 6.2 refuses NX with GET, and once
	// it has, claims run the script for good.
	private volatile boolean plainClaims = true;

	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory) {
		this(connectionFactory, Clock.systemUTC());
	}

	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock) {
		this(connectionFactory, clock, 0, Duration.ofSeconds(1));
	}

	/**
	 * A store whose calls take at most {@link #DEFAULT_COMMAND_TIMEOUT}.
	 * @param connectionFactory the Redis to use
	 * @param clock the clock that stamps records' creation
	 * @param minReplicasAcked how many replicas must acknowledge a claim and a completion; 0 to not wait
	 * @param replicaAckTimeout how long to wait for those acknowledgements
	 */
	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock, int minReplicasAcked,
			Duration replicaAckTimeout) {
		this(connectionFactory, clock, minReplicasAcked, replicaAckTimeout, DEFAULT_COMMAND_TIMEOUT);
	}

	/**
	 * @param connectionFactory the Redis to use
	 * @param clock the clock that stamps records' creation
	 * @param minReplicasAcked how many replicas must acknowledge a claim and a completion; 0 to not wait
	 * @param replicaAckTimeout how long to wait for those acknowledgements
	 * @param commandTimeout the longest one call (a claim, a completion, a renewal) may wait for Redis's
	 * answer before it fails, whatever the client's own command timeout is; with Lettuce (with Jedis the
	 * client's socket timeout bounds it); a call that waits for replicas is bounded by
	 * {@code replicaAckTimeout} instead
	 */
	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock, int minReplicasAcked,
			Duration replicaAckTimeout, Duration commandTimeout) {
		this(connectionFactory, clock, minReplicasAcked, replicaAckTimeout, commandTimeout, null);
	}

	/**
	 * @param connectionFactory the Redis to use
	 * @param clock the clock that stamps records' creation
	 * @param minReplicasAcked how many replicas must acknowledge a claim and a completion; 0 to not wait
	 * @param replicaAckTimeout how long to wait for those acknowledgements
	 * @param commandTimeout the longest one call may wait for Redis's answer (see above)
	 * @param nearCache a near-cache on the same Redis that answers a claim of a completed key without a
	 * round trip, or {@code null} for none; the caller closes it
	 */
	public RedisIdempotencyStore(RedisConnectionFactory connectionFactory, Clock clock, int minReplicasAcked,
			Duration replicaAckTimeout, Duration commandTimeout, @Nullable RedisNearCache nearCache) {
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
		this.commandTimeout = StoreDurations.requirePositiveMillis(commandTimeout, "commandTimeout");
		this.lettuce = ClassUtils.isPresent("io.lettuce.core.RedisClient", getClass().getClassLoader())
				&& connectionFactory instanceof LettuceConnectionFactory;
		this.nearCache = nearCache;
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		ClaimResult cached = nearCached(key);
		if (cached != null) {
			return cached;
		}
		if (claimsPlainly()) {
			String value = RedisRecordFormat.inProgress(owner, fingerprint, lease.toMillis(), this.clock.millis());
			long leaseMillis = StoreDurations.requirePositiveMillis(lease, "lease").toMillis();
			ClaimResult plain;
			try {
				plain = plainClaimResult(key, this.redis.execute(
						(RedisCallback<String>) (connection) -> LettuceCalls.setIfAbsentGet(connection, key, value,
								leaseMillis, this.commandTimeout.toMillis()),
						EXPOSE_CONNECTION));
			}
			catch (RuntimeException ex) {
				if (!refusedPlainClaim(ex)) {
					throw ex;
				}
				plain = null;
			}
			if (plain != null) {
				return learned(key, plain);
			}
		}
		return learned(key, claim(RedisScripts.CLAIM, key, owner, fingerprint, lease, () -> release(key, owner)));
	}

	// With Lettuce and without waiting for replicas, on a Redis that takes SET with NX and GET (7.0 or newer).
	private boolean claimsPlainly() {
		return this.plainClaims && this.lettuce && this.minReplicasAcked == 0;
	}

	/**
	 * The plain claim's answer: acquired (its fence read on request) when the key was free, the completed
	 * record that holds it, or {@code null} when the claim script must answer: the key is held by a
	 * claim in progress (a duplicate must also learn how long it lives) or holds something else. The
	 * script answers too when Redis refused the write ({@link #refusedPlainClaim}).
	 */
	private @Nullable ClaimResult plainClaimResult(String key, @Nullable String previous) {
		if (previous == null) {
			return ClaimResult.acquiredFenceOnRequest();
		}
		if (!previous.startsWith(RedisRecordFormat.COMPLETED)) {
			return null;
		}
		// Completed: the outcome is all a duplicate needs, and the record's time to live is not read.
		return ClaimResult.existing(Objects.requireNonNull(
				RedisRecordFormat.record(key, List.of(previous, UNKNOWN_TTL), this.clock.instant())));
	}

	// Whether Redis refused the plain claim in a way the claim script answers: nothing was written.
	private boolean refusedPlainClaim(Throwable failure) {
		String beforeSeven = redisError(failure, (message) -> message.startsWith("ERR syntax error"));
		if (beforeSeven != null) {
			if (this.plainClaims) {
				this.plainClaims = false;
				logger.info("Redis does not take SET with both NX and GET (it is older than 7.0), so every claim runs "
						+ "the claim script: {}", beforeSeven);
			}
			return true;
		}
		return redisError(failure, (message) -> message.startsWith("WRONGTYPE")) != null
				|| outOfMemory(failure) != null;
	}

	@Override
	public ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		ClaimResult cached = nearCached(key);
		if (cached != null) {
			return cached;
		}
		// A claim the replicas did not acknowledge gives its token back; the store does not know the
		// token's time to live, so it lives one lease, ample for the retry its 503 invites.
		return learned(key, claim(RedisScripts.CLAIM_TOKEN, key, owner, fingerprint, lease,
				() -> releaseTokenClaim(key, owner, lease)));
	}

	@Override
	public boolean issueToken(String key, Duration ttl) {
		return isOne(run(RedisScripts.ISSUE_TOKEN, key, millis(ttl, "ttl")));
	}

	@Override
	public boolean releaseTokenClaim(String key, String owner, Duration ttl) {
		return isOne(run(RedisScripts.RELEASE_TOKEN, key, RedisRecordFormat.checkOwner(owner), millis(ttl, "ttl")));
	}

	/**
	 * Yes with Lettuce, unless claims wait for replicas ({@code minReplicasAcked}): a claim is then one
	 * asynchronous script call, bounded by the command timeout.
	 */
	@Override
	public boolean claimsWithoutBlocking() {
		return this.lettuce && this.minReplicasAcked == 0;
	}

	@Override
	public CompletionStage<ClaimResult> tryClaimAsync(String key, String owner, @Nullable String fingerprint,
			Duration lease) {
		ClaimResult cached = nearCached(key);
		if (cached != null) {
			return CompletableFuture.completedFuture(cached);
		}
		if (!claimsPlainly()) {
			return claimAsync(RedisScripts.CLAIM, key, owner, fingerprint, lease)
				.thenApply((claim) -> learned(key, claim));
		}
		String value = RedisRecordFormat.inProgress(owner, fingerprint, lease.toMillis(), this.clock.millis());
		long leaseMillis = StoreDurations.requirePositiveMillis(lease, "lease").toMillis();
		CompletableFuture<@Nullable String> previous = Objects.requireNonNull(this.redis.execute(
				(RedisCallback<CompletableFuture<@Nullable String>>) (connection) -> LettuceCalls
					.setIfAbsentGetAsync(connection, key, value, leaseMillis, this.commandTimeout.toMillis()),
				EXPOSE_CONNECTION));
		return previous.handle((reply, failure) -> {
			if (failure != null && !refusedPlainClaim(failure)) {
				return CompletableFuture.<ClaimResult>failedFuture(LettuceCalls.unwrap(failure));
			}
			ClaimResult plain = (failure != null) ? null : plainClaimResult(key, reply);
			return (plain != null) ? CompletableFuture.completedFuture(plain)
					: claimAsync(RedisScripts.CLAIM, key, owner, fingerprint, lease);
		}).thenCompose(Function.identity()).thenApply((claim) -> learned(key, claim));
	}

	@Override
	public CompletionStage<ClaimResult> tryClaimTokenAsync(String key, String owner, @Nullable String fingerprint,
			Duration lease) {
		ClaimResult cached = nearCached(key);
		if (cached != null) {
			return CompletableFuture.completedFuture(cached);
		}
		return claimAsync(RedisScripts.CLAIM_TOKEN, key, owner, fingerprint, lease)
			.thenApply((claim) -> learned(key, claim));
	}

	@SuppressWarnings("rawtypes")
	private CompletionStage<ClaimResult> claimAsync(RedisScript<List> script, String key, String owner,
			@Nullable String fingerprint, Duration lease) {
		if (!claimsWithoutBlocking()) {
			throw new UnsupportedOperationException("The Redis store claims without blocking only with Lettuce and "
					+ "without waiting for replicas");
		}
		String[] args = { RedisRecordFormat.inProgress(owner, fingerprint, lease.toMillis(), this.clock.millis()),
				millis(lease, "lease") };
		return runAsync(script, key, args)
			.thenApply((holder) -> RedisRecordFormat.claimResult(key, (List<?>) holder, this.clock.instant()));
	}

	/**
	 * As {@link #claimsWithoutBlocking()}: with Lettuce, unless writes wait for replicas. Each write is
	 * then one asynchronous script call, bounded by the command timeout.
	 */
	@Override
	public boolean writesWithoutBlocking() {
		return claimsWithoutBlocking();
	}

	/** As {@link #complete}: out of memory, the claim is completed without its outcome. */
	@Override
	public CompletionStage<Boolean> completeAsync(String key, String owner, String outcome, Duration retention) {
		String retentionMillis = millis(retention, "retention");
		String checkedOwner = RedisRecordFormat.checkOwner(owner);
		return runAsync(RedisScripts.COMPLETE, key, checkedOwner, outcome, retentionMillis)
			.thenApply(RedisIdempotencyStore::isOne)
			.exceptionallyCompose((failure) -> {
				String outOfMemory = outOfMemory(failure);
				if (outOfMemory == null) {
					return CompletableFuture.failedFuture(LettuceCalls.unwrap(failure));
				}
				return runAsync(RedisScripts.COMPLETE_WITHOUT_OUTCOME, key, checkedOwner, retentionMillis)
					.thenApply((reply) -> completedWithoutOutcome(key, isOne(reply), outOfMemory));
			});
	}

	@Override
	public CompletionStage<Boolean> releaseAsync(String key, String owner) {
		return runAsync(RedisScripts.RELEASE, key, RedisRecordFormat.checkOwner(owner))
			.thenApply(RedisIdempotencyStore::isOne);
	}

	@Override
	public CompletionStage<Boolean> releaseTokenClaimAsync(String key, String owner, Duration ttl) {
		return runAsync(RedisScripts.RELEASE_TOKEN, key, RedisRecordFormat.checkOwner(owner), millis(ttl, "ttl"))
			.thenApply(RedisIdempotencyStore::isOne);
	}

	@Override
	public CompletionStage<Boolean> extendAsync(String key, String owner, Duration lease) {
		return runAsync(RedisScripts.EXTEND, key, RedisRecordFormat.checkOwner(owner), millis(lease, "lease"))
			.thenApply(RedisIdempotencyStore::isOne);
	}

	// Runs a script on one key without waiting for Redis: only with Lettuce, bounded by the command timeout.
	private CompletableFuture<@Nullable Object> runAsync(RedisScript<?> script, String key, String... args) {
		if (!writesWithoutBlocking()) {
			throw new UnsupportedOperationException("The Redis store writes without blocking only with Lettuce "
					+ "and without waiting for replicas");
		}
		long timeout = this.commandTimeout.toMillis();
		CompletableFuture<@Nullable Object> reply = this.redis.execute(
				(RedisCallback<CompletableFuture<@Nullable Object>>) (connection) -> LettuceCalls.evalAsync(connection,
						script, key, args, timeout),
				EXPOSE_CONNECTION);
		return Objects.requireNonNull(reply, "reply");
	}

	@SuppressWarnings("rawtypes")
	private ClaimResult claim(RedisScript<List> script, String key, String owner, @Nullable String fingerprint,
			Duration lease, Runnable undo) {
		String leaseMillis = millis(lease, "lease");
		String[] args = { RedisRecordFormat.inProgress(owner, fingerprint, lease.toMillis(), this.clock.millis()),
				leaseMillis };
		if (this.minReplicasAcked == 0) {
			return RedisRecordFormat.claimResult(key, run(script, key, args), this.clock.instant());
		}
		Acknowledged acknowledged = runAndWait(script, key, args);
		ClaimResult claim = RedisRecordFormat.claimResult(key, (List<?>) acknowledged.result(), this.clock.instant());
		if (claim.isAcquired() && acknowledged.replicas() < this.minReplicasAcked) {
			// Fail closed: a failover could forget this claim, and a duplicate would run again.
			undo.run();
			throw new IllegalStateException("Idempotency claim acknowledged by " + acknowledged.replicas() + " of "
					+ this.minReplicasAcked + " required Redis replicas within " + this.replicaAckTimeout);
		}
		return claim;
	}

	/**
	 * Completes the claim with its outcome; if Redis is out of memory ({@code maxmemory} with
	 * {@code noeviction}), completes it without, so its duplicates are refused, never run again.
	 */
	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		try {
			return completeWithOutcome(key, owner, outcome, retention);
		}
		catch (RuntimeException ex) {
			String outOfMemory = outOfMemory(ex);
			if (outOfMemory == null) {
				throw ex;
			}
			return completedWithoutOutcome(key,
					isOne(run(RedisScripts.COMPLETE_WITHOUT_OUTCOME, key, owner, millis(retention, "retention"))),
					outOfMemory);
		}
	}

	private static boolean completedWithoutOutcome(String key, boolean completed, String outOfMemory) {
		if (completed) {
			logger.warn("Redis is out of memory, so an idempotent call was completed without its outcome: its "
					+ "duplicates are refused (409 replay-unavailable), never run again [storageKey={}]: {}", key,
					outOfMemory);
		}
		return completed;
	}

	// Redis's "OOM command not allowed when used memory > 'maxmemory'", however the client wraps it.
	private static @Nullable String outOfMemory(Throwable ex) {
		return redisError(ex, (message) -> message.contains("OOM command not allowed"));
	}

	// The first message in the failure's chain of causes that matches: Redis's own error, however the client
	// wraps it.
	private static @Nullable String redisError(Throwable ex, Predicate<String> matches) {
		for (Throwable cause = ex; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			String message = cause.getMessage();
			if (message != null && matches.test(message)) {
				return message;
			}
		}
		return null;
	}

	private boolean completeWithOutcome(String key, String owner, String outcome, Duration retention) {
		String[] args = { RedisRecordFormat.checkOwner(owner), outcome, millis(retention, "retention") };
		if (this.minReplicasAcked == 0) {
			return isOne(run(RedisScripts.COMPLETE, key, args));
		}
		Acknowledged acknowledged = runAndWait(RedisScripts.COMPLETE, key, args);
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
	private Acknowledged runAndWait(RedisScript<?> script, String key, String... args) {
		byte[][] argv = bytes(args);
		ScriptOutputType output = outputOf(script);
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
			acknowledged[0] = new Acknowledged(LettuceCalls.decode(LettuceCalls.await(result, deadline)),
					LettuceCalls.await(replicas, deadline).intValue());
			return null;
		});
		return acknowledged[0];
	}

	// Runs a script on one key: through Lettuce, bounded by the command timeout; else through the template.
	private <T> @Nullable T run(RedisScript<T> script, String key, String... args) {
		if (!this.lettuce) {
			return this.redis.execute(script, List.of(key), (Object[]) args);
		}
		long timeout = this.commandTimeout.toMillis();
		return this.redis.execute((RedisCallback<T>) (connection) -> LettuceCalls.eval(connection, script, key, args,
				timeout), EXPOSE_CONNECTION);
	}

	private static ScriptOutputType outputOf(RedisScript<?> script) {
		return List.class.isAssignableFrom(Objects.requireNonNull(script.getResultType())) ? ScriptOutputType.MULTI
				: ScriptOutputType.INTEGER;
	}

	private static String millis(Duration duration, String name) {
		return Long.toString(StoreDurations.requirePositiveMillis(duration, name).toMillis());
	}

	private static byte[][] bytes(String... values) {
		byte[][] bytes = new byte[values.length][];
		for (int i = 0; i < values.length; i++) {
			bytes[i] = bytes(values[i]);
		}
		return bytes;
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

	private record Acknowledged(@Nullable Object result, int replicas) {
	}

	/** Redis's clock ({@code TIME}) in microseconds, read by a script that first checks the owner holds the key. */
	@Override
	public long fence(String key, String owner) {
		List<?> reply = run(RedisScripts.FENCE, key, RedisRecordFormat.checkOwner(owner));
		return RedisRecordFormat.fence(key, reply);
	}

	@Override
	public boolean release(String key, String owner) {
		return isOne(run(RedisScripts.RELEASE, key, RedisRecordFormat.checkOwner(owner)));
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		return isOne(run(RedisScripts.EXTEND, key, RedisRecordFormat.checkOwner(owner), millis(lease, "lease")));
	}

	// A completed record the near-cache holds, as a claim's answer: a duplicate's, with no round trip.
	private @Nullable ClaimResult nearCached(String key) {
		IdempotencyRecord record = (this.nearCache != null) ? this.nearCache.completed(key) : null;
		return (record != null) ? ClaimResult.existing(record) : null;
	}

	// Lets the near-cache learn a completed record a claim met: a retry storm on it is likely to follow.
	private ClaimResult learned(String key, ClaimResult claim) {
		if (this.nearCache != null && !claim.isAcquired() && !claim.isNoLiveToken() && claim.existing().isCompleted()) {
			this.nearCache.learn(key);
		}
		return claim;
	}

	@Override
	public boolean delete(String key) {
		if (this.nearCache != null) {
			this.nearCache.evict(key);
		}
		if (!this.lettuce) {
			return Boolean.TRUE.equals(this.redis.delete(key));
		}
		long timeout = this.commandTimeout.toMillis();
		Long deleted = this.redis.execute((RedisCallback<Long>) (connection) -> LettuceCalls.del(connection, key,
				timeout), EXPOSE_CONNECTION);
		return deleted != null && deleted > 0;
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		List<?> reply = run(RedisScripts.FIND, key);
		return (reply == null || reply.isEmpty()) ? Optional.empty()
				: Optional.ofNullable(RedisRecordFormat.record(key, reply, this.clock.instant()));
	}

	private static boolean isOne(@Nullable Object result) {
		return result instanceof Long number && number == 1L;
	}


	/**
	 * The calls made through Lettuce's asynchronous API, in a class of their own so that the store
	 * loads without Lettuce (with Jedis).
	 */
	private static final class LettuceCalls {

		/**
		 * Runs a script with EVALSHA (EVAL if Redis does not know it yet), waiting at most the timeout
		 * for its answer whatever the client's own timeout is, so a call never hangs on a stalled Redis
		 * longer than the store allows.
		 */
		@SuppressWarnings("unchecked")
		static <T> @Nullable T eval(RedisConnection connection, RedisScript<T> script, String key, String[] args,
				long timeoutMillis) {
			RedisClusterAsyncCommands<byte[], byte[]> commands = commands(connection);
			ScriptOutputType output = outputOf(script);
			byte[][] keys = { bytes(key) };
			byte[][] argv = bytes(args);
			try {
				return (T) decode(
						await(commands.evalsha(RedisScripts.sha1(script), output, keys, argv), timeoutMillis));
			}
			catch (RedisNoScriptException ex) {
				return (T) decode(await(commands.eval(script.getScriptAsString(), output, keys, argv), timeoutMillis));
			}
		}

		/**
		 * Runs a script as {@link #eval} does, without waiting: the reply completes on Lettuce's thread,
		 * or fails with Redis's own error, or with a named timeout once the timeout has passed.
		 */
		static CompletableFuture<@Nullable Object> evalAsync(RedisConnection connection, RedisScript<?> script,
				String key, String[] args, long timeoutMillis) {
			RedisClusterAsyncCommands<byte[], byte[]> commands = commands(connection);
			ScriptOutputType output = outputOf(script);
			byte[][] keys = { bytes(key) };
			byte[][] argv = bytes(args);
			// The command in flight: one that timed out is cancelled, so that Lettuce never sends it once it has
			// reconnected, as it would a command it holds while disconnected (a claim nobody waits for any more).
			AtomicReference<RedisFuture<Object>> sent = new AtomicReference<>(
					commands.evalsha(RedisScripts.sha1(script), output, keys, argv));
			CompletableFuture<@Nullable Object> reply = sent.get()
				.toCompletableFuture()
				.exceptionallyCompose((failure) -> {
					if (!(unwrap(failure) instanceof RedisNoScriptException)) {
						return CompletableFuture.failedFuture(unwrap(failure));
					}
					sent.set(commands.eval(script.getScriptAsString(), output, keys, argv));
					return sent.get().toCompletableFuture();
				});
			return within(reply, commands, timeoutMillis).handle((value, failure) -> {
				if (failure == null) {
					return decode(value);
				}
				throw failed(unwrap(failure), sent.get(), timeoutMillis);
			});
		}

		/** {@code SET key value NX PX lease GET}, waiting at most the timeout: the previous value, if any. */
		static @Nullable String setIfAbsentGet(RedisConnection connection, String key, String value,
				long leaseMillis, long timeoutMillis) {
			return (String) decode(await(commands(connection).setGet(bytes(key), bytes(value), ifAbsent(leaseMillis)),
					timeoutMillis));
		}

		/** As {@link #setIfAbsentGet}, without waiting, as {@link #evalAsync} does. */
		static CompletableFuture<@Nullable String> setIfAbsentGetAsync(RedisConnection connection, String key,
				String value, long leaseMillis, long timeoutMillis) {
			RedisClusterAsyncCommands<byte[], byte[]> commands = commands(connection);
			RedisFuture<byte[]> sent = commands.setGet(bytes(key), bytes(value), ifAbsent(leaseMillis));
			return within(sent.toCompletableFuture(), commands, timeoutMillis)
				.handle((previous, failure) -> {
					if (failure == null) {
						return (String) decode(previous);
					}
					throw failed(unwrap(failure), sent, timeoutMillis);
				});
		}

		/**
		 * Fails the reply with a {@link TimeoutException} once the timeout has passed, as
		 * {@link CompletableFuture#orTimeout} does, but on Lettuce's own timer, which times its commands
		 * too: scheduling there costs a queue insertion, where {@code orTimeout} wakes the JDK's single
		 * delay thread whenever the new timeout is the earliest (every call, one at a time), a thread
		 * switch per call. The timer ticks (every 100 ms by default), so a reply fails up to one tick
		 * after the timeout. As with Lettuce's own timeouts, the failure is handed to Lettuce's executors,
		 * so what follows it never holds up the timer.
		 */
		private static <T> CompletableFuture<T> within(CompletableFuture<T> reply,
				RedisClusterAsyncCommands<byte[], byte[]> commands, long timeoutMillis) {
			ClientResources client = client(commands);
			if (client != null) {
				try {
					Timeout timeout = client.timer().newTimeout((expired) -> expire(reply, client), timeoutMillis,
							TimeUnit.MILLISECONDS);
					reply.whenComplete((value, failure) -> timeout.cancel());
					return reply;
				}
				catch (IllegalStateException ex) {
					// The client's resources were shut down: the JDK's timer still bounds the call.
				}
			}
			return reply.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
		}

		private static void expire(CompletableFuture<?> reply, ClientResources client) {
			if (reply.isDone()) {
				return;
			}
			try {
				client.eventExecutorGroup().execute(() -> reply.completeExceptionally(new TimeoutException()));
			}
			catch (RejectedExecutionException ex) {
				reply.completeExceptionally(new TimeoutException());
			}
		}

		// The resources of the client behind the connection, or null if the connection does not say.
		private static @Nullable ClientResources client(RedisClusterAsyncCommands<byte[], byte[]> commands) {
			if (commands instanceof RedisAsyncCommands<byte[], byte[]> standalone) {
				return standalone.getStatefulConnection().getResources();
			}
			if (commands instanceof RedisAdvancedClusterAsyncCommands<byte[], byte[]> cluster) {
				return cluster.getStatefulConnection().getResources();
			}
			return null;
		}

		private static SetArgs ifAbsent(long leaseMillis) {
			return SetArgs.Builder.nx().px(leaseMillis);
		}

		// A failure as the store reports it: Redis's own error as Lettuce gave it, a timeout named, the command
		// that timed out cancelled so that Lettuce never sends it after a reconnect.
		private static RuntimeException failed(Throwable cause, RedisFuture<?> sent, long timeoutMillis) {
			if (cause instanceof TimeoutException) {
				sent.cancel(true);
				return new IllegalStateException("Redis did not answer within " + timeoutMillis + " ms", cause);
			}
			return (cause instanceof RuntimeException redisError) ? redisError
					: new IllegalStateException("Redis failed: " + cause, cause);
		}

		static Throwable unwrap(Throwable failure) {
			return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
		}

		static Long del(RedisConnection connection, String key, long timeoutMillis) {
			return await(commands(connection).del(bytes(key)), timeoutMillis);
		}

		@SuppressWarnings("unchecked")
		private static RedisClusterAsyncCommands<byte[], byte[]> commands(RedisConnection connection) {
			return (RedisClusterAsyncCommands<byte[], byte[]>) connection.getNativeConnection();
		}

		// Redis's own error (NOAUTH, OOM, READONLY, NOSCRIPT) is thrown as Lettuce reports it, named.
		private static <T> T await(RedisFuture<T> future, long millis) {
			try {
				return future.get(millis, TimeUnit.MILLISECONDS);
			}
			catch (ExecutionException ex) {
				if (ex.getCause() instanceof RuntimeException redisError) {
					throw redisError;
				}
				throw new IllegalStateException("Redis failed: " + ex.getCause(), ex.getCause());
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

	}

}
