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

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.ManualClock;
import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import io.lettuce.core.KillArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The near-cache on a real Redis of the test's own (so that {@code INFO commandstats} counts only this
 * test's commands, and a flush or a killed client touches nothing else): two instances of the
 * application, A and B, each a store with its own near-cache, on the same Redis.
 */
class RedisNearCacheTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofMinutes(5);

	private static final String OUTCOME = "{\"id\":1}";

	private static RedisProcesses.Standalone server;

	private static LettuceConnectionFactory factoryA;

	private static LettuceConnectionFactory factoryB;

	private static StringRedisTemplate redis;

	private final ManualClock clock = new ManualClock();

	private RedisNearCache cacheA;

	private RedisNearCache cacheB;

	private RedisIdempotencyStore storeA;

	private RedisIdempotencyStore storeB;

	@BeforeAll
	static void start() {
		server = new RedisProcesses.Standalone();
		RedisStandaloneConfiguration configuration = new RedisStandaloneConfiguration(TestRedis.endpoint().host(),
				server.port());
		factoryA = TestRedis.connect(configuration);
		factoryB = TestRedis.connect(configuration);
		redis = new StringRedisTemplate(factoryA);
	}

	@AfterAll
	static void stop() {
		factoryA.destroy();
		factoryB.destroy();
		server.close();
	}

	@BeforeEach
	void instances() {
		this.cacheA = new RedisNearCache(factoryA, 100, this.clock);
		this.cacheB = new RedisNearCache(factoryB, 100, this.clock);
		this.storeA = store(factoryA, this.cacheA);
		this.storeB = store(factoryB, this.cacheB);
		this.cacheA.awaitRoundTrip();
		this.cacheB.awaitRoundTrip();
	}

	@AfterEach
	void close() {
		this.cacheA.close();
		this.cacheB.close();
	}

	private RedisIdempotencyStore store(LettuceConnectionFactory factory, RedisNearCache cache) {
		return new RedisIdempotencyStore(factory, this.clock, 0, Duration.ofSeconds(1),
				RedisIdempotencyStore.DEFAULT_COMMAND_TIMEOUT, cache);
	}

	@Test
	void aDuplicateOfACompletedKeyIsAnsweredFromTheNearCacheWithNoRedisCommand() throws Exception {
		String key = completedOnA("storm");
		learnedOnB(key);
		Map<String, Long> before = CommandStats.read(redis);
		for (int i = 0; i < 100; i++) {
			assertThat(this.storeB.tryClaim(key, "owner-" + i, "fp", LEASE).existing().outcome()).isEqualTo(OUTCOME);
		}
		ClaimResult async = this.storeB.tryClaimAsync(key, "owner-async", "fp", LEASE).toCompletableFuture().get();
		assertThat(async.existing().outcome()).isEqualTo(OUTCOME);
		assertThat(this.storeB.tryClaimToken(key, "owner-token", "fp", LEASE).existing().outcome()).isEqualTo(OUTCOME);
		assertThat(CommandStats.spent(before, CommandStats.read(redis))).isEmpty();
	}

	@Test
	void aClientsSingleRetryCostsNoReadAndItsSecondIsTheOneThatLearns() {
		String key = completedOnA("single-retry");
		Map<String, Long> before = CommandStats.read(redis);
		assertThat(this.storeB.tryClaim(key, "owner-2", "fp", LEASE).existing().outcome()).isEqualTo(OUTCOME);
		this.cacheB.awaitRoundTrip();
		// The claim reads the record once (SET NX GET; on Redis 6.2 the claim script's GET and PTTL): the
		// near-cache did not read it again.
		if (CommandStats.claimsPlainly(redis)) {
			assertThat(CommandStats.spent(before, CommandStats.read(redis))).containsEntry("set", 1L)
				.doesNotContainKeys("get", "evalsha");
		}
		else {
			assertThat(CommandStats.spent(before, CommandStats.read(redis))).containsEntry("evalsha", 1L)
				.containsEntry("get", 1L)
				.containsEntry("pttl", 1L);
		}
		assertThat(this.cacheB.completed(key)).isNull();
		assertThat(this.storeB.tryClaim(key, "owner-3", "fp", LEASE).existing().outcome()).isEqualTo(OUTCOME);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNotNull();
	}

	@Test
	void theCachedRecordIsTheOneRedisHolds() {
		String key = completedOnA("same");
		this.storeB.tryClaim(key, "owner-2", "fp", LEASE);
		IdempotencyRecord fromRedis = this.storeB.find(key).orElseThrow();
		// The second duplicate makes the near-cache read the record, after the find above.
		this.storeB.tryClaim(key, "owner-2", "fp", LEASE);
		this.cacheB.awaitRoundTrip();
		IdempotencyRecord cached = this.storeB.tryClaim(key, "owner-3", "fp", LEASE).existing();
		assertThat(cached).usingRecursiveComparison().ignoringFields("expiresAt").isEqualTo(fromRedis);
		assertThat(cached.expiresAt()).isBeforeOrEqualTo(fromRedis.expiresAt());
	}

	@Test
	void aDeleteOnOneInstanceStopsReplaysOnTheOtherWithinOneRoundTrip() {
		String key = completedOnA("deleted");
		learnedOnB(key);
		assertThat(this.storeA.delete(key)).isTrue();
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNull();
		assertThat(this.storeB.tryClaim(key, "owner-3", "fp", LEASE).isAcquired()).isTrue();
	}

	@Test
	void aDeleteEvictsOnItsOwnInstanceAtOnce() {
		String key = completedOnA("own-delete");
		assertThat(this.storeA.tryClaim(key, "owner-2", "fp", LEASE).existing().isCompleted()).isTrue();
		assertThat(this.storeA.tryClaim(key, "owner-2", "fp", LEASE).existing().isCompleted()).isTrue();
		this.cacheA.awaitRoundTrip();
		assertThat(this.cacheA.completed(key)).isNotNull();
		assertThat(this.storeA.delete(key)).isTrue();
		assertThat(this.storeA.tryClaim(key, "owner-3", "fp", LEASE).isAcquired()).isTrue();
	}

	@Test
	void anExpiredRecordIsNotServed() {
		String key = completedOnA("expired");
		learnedOnB(key);
		this.clock.advance(RETENTION);
		assertThat(this.cacheB.completed(key)).isNull();
		Map<String, Long> before = CommandStats.read(redis);
		this.storeB.tryClaim(key, "owner-3", "fp", LEASE);
		assertThat(CommandStats.spent(before, CommandStats.read(redis))).as("the claim went to Redis")
			.containsKey("set");
	}

	@Test
	void aWriteFromAnotherClientInvalidates() {
		String key = completedOnA("overwritten");
		learnedOnB(key);
		String other = RedisRecordFormat.COMPLETED + "owner-9|fp|" + this.clock.millis() + "|{\"id\":2}";
		redis.opsForValue().set(key, other, RETENTION);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNull();
		assertThat(this.storeB.tryClaim(key, "owner-3", "fp", LEASE).existing().outcome()).isEqualTo("{\"id\":2}");
		assertThat(this.storeB.tryClaim(key, "owner-3", "fp", LEASE).existing().outcome()).isEqualTo("{\"id\":2}");
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNotNull();
		redis.delete(key);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNull();
		assertThat(this.storeB.tryClaim(key, "owner-4", "fp", LEASE).isAcquired()).isTrue();
	}

	@Test
	void aFlushDropsEverything() {
		String one = completedOnA("flush-1");
		String two = completedOnA("flush-2");
		learnedOnB(one);
		learnedOnB(two);
		redis.execute((RedisCallback<Object>) (connection) -> {
			connection.serverCommands().flushDb();
			return null;
		});
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.size()).isZero();
	}

	@Test
	void aReconnectDropsTheCacheAndTracksAgain() {
		String key = completedOnA("reconnect");
		learnedOnB(key);
		long killed = this.cacheB.trackingClientId();
		Long kills = redis.execute((RedisCallback<Long>) (connection) -> {
			try {
				return ((RedisAsyncCommands<?, ?>) connection.getNativeConnection()).clientKill(KillArgs.Builder.id(killed))
					.get();
			}
			catch (InterruptedException | ExecutionException ex) {
				throw new IllegalStateException(ex);
			}
		});
		assertThat(kills).isEqualTo(1L);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.size()).isZero();
		assertThat(this.cacheB.trackingClientId()).isNotEqualTo(killed);
		// The new connection tracks: the cache learns again, and a delete still reaches it.
		learnedOnB(key);
		this.storeA.delete(key);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNull();
	}

	@Test
	void aReadThatAWriteOvertakesNeverLeavesAStaleRecord() throws Exception {
		String key = completedOnA("race");
		AtomicBoolean running = new AtomicBoolean(true);
		Thread learner = new Thread(() -> {
			while (running.get()) {
				this.cacheB.learn(key);
				this.cacheB.completed(key);
			}
		}, "near-cache-learner");
		learner.start();
		try {
			for (int i = 0; i < 300; i++) {
				String outcome = "{\"id\":" + i + "}";
				redis.opsForValue()
					.set(key, RedisRecordFormat.COMPLETED + "owner-1|fp|" + this.clock.millis() + "|" + outcome, RETENTION);
				this.cacheB.awaitRoundTrip();
				// Whatever the learner read before the write was invalidated; only the written record may be held.
				IdempotencyRecord cached = this.cacheB.completed(key);
				if (cached != null) {
					assertThat(cached.outcome()).isEqualTo(outcome);
				}
			}
		}
		finally {
			running.set(false);
			learner.join();
		}
	}

	@Test
	void anInProgressRecordIsNeverCached() {
		String key = key("in-progress");
		assertThat(this.storeA.tryClaim(key, "owner-1", "fp", LEASE).isAcquired()).isTrue();
		assertThat(this.storeB.tryClaim(key, "owner-2", "fp", LEASE).existing().state())
			.isEqualTo(RecordState.IN_PROGRESS);
		this.cacheB.learn(key);
		this.cacheB.learn(key);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.size()).isZero();
		Map<String, Long> before = CommandStats.read(redis);
		assertThat(this.storeB.tryClaim(key, "owner-3", "fp", LEASE).existing().state())
			.isEqualTo(RecordState.IN_PROGRESS);
		assertThat(CommandStats.spent(before, CommandStats.read(redis))).as("the claim went to Redis")
			.containsKey("set");
	}

	@Test
	void theCacheHoldsAtMostItsMaxEntries() {
		try (RedisNearCache small = new RedisNearCache(factoryB, 2, this.clock)) {
			RedisIdempotencyStore store = store(factoryB, small);
			small.awaitRoundTrip();
			String first = completedOnA("bounded-1");
			for (String key : List.of(first, completedOnA("bounded-2"), completedOnA("bounded-3"))) {
				store.tryClaim(key, "owner-2", "fp", LEASE);
				store.tryClaim(key, "owner-2", "fp", LEASE);
				small.awaitRoundTrip();
			}
			assertThat(small.size()).isEqualTo(2);
			assertThat(small.completed(first)).isNull();
		}
	}

	@Test
	void refusesRedisClusterAndABadSize() {
		LettuceConnectionFactory cluster = new LettuceConnectionFactory(
				new RedisClusterConfiguration(List.of("127.0.0.1:7000")));
		assertThatIllegalStateException().isThrownBy(() -> new RedisNearCache(cluster))
			.withMessageContaining("not supported on Redis Cluster");
		assertThatIllegalArgumentException().isThrownBy(() -> new RedisNearCache(factoryA, 0, this.clock))
			.withMessageContaining("maxEntries");
	}

	// A key completed through instance A.
	private String completedOnA(String name) {
		String key = key(name);
		assertThat(this.storeA.tryClaim(key, "owner-1", "fp", LEASE).isAcquired()).isTrue();
		assertThat(this.storeA.complete(key, "owner-1", OUTCOME, RETENTION)).isTrue();
		return key;
	}

	// Two duplicates on instance B meet the completed record in Redis, and B's near-cache learns it.
	private void learnedOnB(String key) {
		assertThat(this.storeB.tryClaim(key, "owner-2", "fp", LEASE).existing().outcome()).isEqualTo(OUTCOME);
		assertThat(this.storeB.tryClaim(key, "owner-2", "fp", LEASE).existing().outcome()).isEqualTo(OUTCOME);
		this.cacheB.awaitRoundTrip();
		assertThat(this.cacheB.completed(key)).isNotNull();
	}

	private static String key(String name) {
		return "near-cache:" + name + ":" + UUID.randomUUID();
	}

}
