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

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** The near-cache finds its Redis through Sentinel, as the store's connection factory does. */
class RedisNearCacheSentinelTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static RedisProcesses.Sentinel sentinel;

	private static LettuceConnectionFactory factoryA;

	private static LettuceConnectionFactory factoryB;

	@BeforeAll
	static void start() {
		sentinel = new RedisProcesses.Sentinel();
		factoryA = TestRedis.connect(sentinel.configuration());
		factoryB = TestRedis.connect(sentinel.configuration());
	}

	@AfterAll
	static void stop() {
		factoryA.destroy();
		factoryB.destroy();
		sentinel.close();
	}

	@Test
	void aCompletedRecordIsCachedOnTheMasterAndADeleteElsewhereInvalidatesIt() {
		try (RedisNearCache cache = new RedisNearCache(factoryB, 10, Clock.systemUTC())) {
			RedisIdempotencyStore storeA = new RedisIdempotencyStore(factoryA);
			RedisIdempotencyStore storeB = new RedisIdempotencyStore(factoryB, Clock.systemUTC(), 0,
					Duration.ofSeconds(1), RedisIdempotencyStore.DEFAULT_COMMAND_TIMEOUT, cache);
			cache.awaitRoundTrip();
			String key = "near-cache:sentinel:" + UUID.randomUUID();
			storeA.tryClaim(key, "owner-1", "fp", LEASE);
			storeA.complete(key, "owner-1", "done", Duration.ofMinutes(5));
			assertThat(storeB.tryClaim(key, "owner-2", "fp", LEASE).existing().outcome()).isEqualTo("done");
			assertThat(storeB.tryClaim(key, "owner-2", "fp", LEASE).existing().outcome()).isEqualTo("done");
			cache.awaitRoundTrip();
			assertThat(cache.completed(key)).isNotNull();
			storeA.delete(key);
			cache.awaitRoundTrip();
			assertThat(cache.completed(key)).isNull();
			assertThat(storeB.tryClaim(key, "owner-3", "fp", LEASE).isAcquired()).isTrue();
		}
	}

}
