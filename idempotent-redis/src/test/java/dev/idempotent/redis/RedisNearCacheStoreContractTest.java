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

import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The store keeps the whole store contract with a near-cache: a duplicate answered from memory is
 * the answer Redis would have given.
 */
class RedisNearCacheStoreContractTest extends RedisStoreContractTest {

	private static LettuceConnectionFactory connectionFactory;

	private RedisNearCache nearCache;

	private RedisIdempotencyStore store;

	@BeforeAll
	static void connect() {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		connectionFactory = TestRedis.connect(new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
	}

	@AfterAll
	static void disconnect() {
		connectionFactory.destroy();
	}

	@AfterEach
	void closeNearCache() {
		if (this.nearCache != null) {
			this.nearCache.close();
		}
	}

	@Override
	protected RedisConnectionFactory connectionFactory() {
		return connectionFactory;
	}

	@Override
	protected RedisIdempotencyStore store() {
		if (this.store == null) {
			this.nearCache = new RedisNearCache(connectionFactory, 1_000, Clock.systemUTC());
			this.nearCache.awaitRoundTrip();
			this.store = new RedisIdempotencyStore(connectionFactory, Clock.systemUTC(), 0, Duration.ofSeconds(1),
					RedisIdempotencyStore.DEFAULT_COMMAND_TIMEOUT, this.nearCache);
		}
		return this.store;
	}

}
