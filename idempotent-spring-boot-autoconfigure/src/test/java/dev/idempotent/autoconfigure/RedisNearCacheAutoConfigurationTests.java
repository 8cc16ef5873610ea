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

import java.util.UUID;

import dev.idempotent.redis.RedisNearCache;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code idempotent.redis.near-cache.*}: off by default; on, a near-cache with a connection of its own
 * that is closed with the application; a bad size or a Cluster fails start-up saying why.
 */
class RedisNearCacheAutoConfigurationTests {

	private static RedisProcesses.Standalone server;

	private static LettuceConnectionFactory admin;

	private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataRedisAutoConfiguration.class,
					JacksonAutoConfiguration.class));

	@BeforeAll
	static void start() {
		server = new RedisProcesses.Standalone();
		admin = TestRedis.connect(new RedisStandaloneConfiguration("127.0.0.1", server.port()));
	}

	@AfterAll
	static void stop() {
		admin.destroy();
		server.close();
	}

	@Test
	void offByDefault() {
		this.runner.withPropertyValues("spring.data.redis.port=" + server.port()).run((context) -> {
			assertThat(context).hasNotFailed().doesNotHaveBean(RedisNearCache.class);
			IdempotencyProperties.NearCache nearCache = context.getBean(IdempotencyProperties.class)
				.getRedis()
				.getNearCache();
			assertThat(nearCache.isEnabled()).isFalse();
			assertThat(nearCache.getMaxEntries()).isEqualTo(10_000);
		});
	}

	@Test
	void enabledItTracksOnAConnectionOfItsOwnThatClosesWithTheApplication() {
		String name = "near-cache-test-" + UUID.randomUUID();
		this.runner
			.withPropertyValues("spring.data.redis.port=" + server.port(), "spring.data.redis.client-name=" + name,
					"idempotent.redis.near-cache.enabled=true", "idempotent.redis.near-cache.max-entries=500")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(RedisNearCache.class);
				Poll.until("the near-cache's connection tracks", () -> tracking(name + "-near-cache"));
			});
		Poll.until("the near-cache's connection is closed", () -> !connected(name + "-near-cache"));
	}

	@Test
	void aBadSizeFailsStartUpSayingWhy() {
		this.runner
			.withPropertyValues("spring.data.redis.port=" + server.port(), "idempotent.redis.near-cache.enabled=true",
					"idempotent.redis.near-cache.max-entries=0")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("idempotent.redis.near-cache.max-entries must be at least 1"));
	}

	@Test
	void onRedisClusterStartUpFailsSayingWhy() {
		this.runner
			.withPropertyValues("idempotent.redis.near-cache.enabled=true", "spring.data.redis.cluster.nodes=127.0.0.1:1")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("not supported on Redis Cluster"));
	}

	// Whether a client of this name is connected with tracking on (CLIENT LIST shows flag t).
	private static boolean tracking(String name) {
		return clientList().lines().anyMatch((line) -> line.contains(" name=" + name + " ") && flags(line).contains("t"));
	}

	private static boolean connected(String name) {
		return clientList().lines().anyMatch((line) -> line.contains(" name=" + name + " "));
	}

	private static String flags(String line) {
		int start = line.indexOf(" flags=") + " flags=".length();
		return line.substring(start, line.indexOf(' ', start));
	}

	private static String clientList() {
		return new StringRedisTemplate(admin).execute((RedisCallback<String>) (connection) -> {
			Object reply = connection.execute("CLIENT", "LIST".getBytes());
			return (reply instanceof byte[] bytes) ? new String(bytes) : String.valueOf(reply);
		});
	}

}
