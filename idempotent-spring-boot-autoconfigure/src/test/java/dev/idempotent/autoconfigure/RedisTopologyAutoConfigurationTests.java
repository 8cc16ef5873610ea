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
package dev.idempotent.autoconfigure;

import java.time.Duration;
import java.util.UUID;
import java.util.function.Consumer;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis store on a Redis Cluster and on Sentinel, configured only through Spring Data Redis's own
 * properties: the auto-configuration finds the servers, and the records land where a store connected
 * by hand finds them. The store's contract on these setups is proven in the Redis store's own tests.
 */
class RedisTopologyAutoConfigurationTests {

	private static final Duration LEASE = Duration.ofMinutes(5);

	private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(AutoConfigurations
		.of(IdempotencyAutoConfiguration.class, DataRedisAutoConfiguration.class, JacksonAutoConfiguration.class));

	@Test
	void configuredThroughSpringDataRedisClusterProperties() {
		try (RedisProcesses.Cluster cluster = new RedisProcesses.Cluster()) {
			this.runner.withPropertyValues("spring.data.redis.cluster.nodes=" + String.join(",", cluster.nodes()))
				.run((context) -> claimsLandOn(context.getBean(IdempotencyStore.class),
						new RedisClusterConfiguration(cluster.nodes())));
		}
	}

	@Test
	void configuredThroughSpringDataRedisSentinelProperties() {
		try (RedisProcesses.Sentinel sentinel = new RedisProcesses.Sentinel()) {
			this.runner
				.withPropertyValues("spring.data.redis.sentinel.master=" + RedisProcesses.Sentinel.MASTER_NAME,
						"spring.data.redis.sentinel.nodes=127.0.0.1:" + sentinel.sentinelPort())
				.run((context) -> claimsLandOn(context.getBean(IdempotencyStore.class), sentinel.configuration()));
		}
	}

	private static void claimsLandOn(IdempotencyStore configured, RedisConfiguration servers) {
		assertThat(configured).isInstanceOf(RedisIdempotencyStore.class);
		String key = "topology-test:" + UUID.randomUUID();
		assertThat(configured.tryClaim(key, "owner-1", null, LEASE).isAcquired()).isTrue();
		withStore(servers, (byHand) -> assertThat(byHand.find(key)).as("the same servers").isPresent());
	}

	private static void withStore(RedisConfiguration servers, Consumer<IdempotencyStore> use) {
		LettuceConnectionFactory connectionFactory = TestRedis.connect(servers);
		try {
			use.accept(new RedisIdempotencyStore(connectionFactory));
		}
		finally {
			connectionFactory.destroy();
		}
	}

}
