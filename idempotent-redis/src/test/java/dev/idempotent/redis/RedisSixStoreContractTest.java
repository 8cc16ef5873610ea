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

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store keeps the contract on Redis 6.2, which refuses {@code SET} with both {@code NX} and
 * {@code GET}: its claims run the claim script, which reads the fence at once. The server is the
 * redis-server 6.2 the embedded-redis jar ships, started here whatever Redis the other tests use (it
 * stops with the test JVM).
 */
class RedisSixStoreContractTest extends RedisStoreContractTest {

	private static LettuceConnectionFactory connectionFactory;

	@BeforeAll
	static void start() {
		TestRedis.Endpoint endpoint = TestRedis.startEmbeddedRedisServer();
		connectionFactory = TestRedis.connect(new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
	}

	@AfterAll
	static void stop() {
		connectionFactory.destroy();
	}

	@Override
	protected RedisConnectionFactory connectionFactory() {
		return connectionFactory;
	}

	@Test
	void theServerIsRedisSixAndAClaimCarriesItsFence() {
		assertThat(CommandStats.claimsPlainly(redis())).as("Redis before 7.0").isFalse();
		String key = key("fence");
		ClaimResult claim = store().tryClaim(key, "owner-1", null, LONG_LEASE);
		assertThat(claim.fenceOnRequest()).isFalse();
		assertThat(claim.fence()).isPositive();
		ClaimResult duplicate = store().tryClaim(key, "owner-2", null, LONG_LEASE);
		assertThat(duplicate.existing().owner()).isEqualTo("owner-1");
		assertThat(duplicate.existing().expiresAt()).isNotNull();
	}

}
