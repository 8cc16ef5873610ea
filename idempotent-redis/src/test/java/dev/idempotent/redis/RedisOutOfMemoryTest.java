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
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

import static dev.idempotent.redis.TextOutcomes.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Redis with a memory limit, on servers of the test's own: under {@code noeviction} a call whose
 * outcome Redis has no room for is completed without it, so its duplicate is refused and never runs
 * again; under an evicting policy the policy and the evicted keys are read from {@code INFO}.
 */
class RedisOutOfMemoryTest {

	private final List<AutoCloseable> resources = new ArrayList<>();

	@AfterEach
	void close() throws Exception {
		for (int i = this.resources.size() - 1; i >= 0; i--) {
			this.resources.get(i).close();
		}
	}

	@Test
	void aCallWhoseOutcomeFindsRedisFullIsCompletedWithoutItAndNeverRunsAgain() throws Throwable {
		outcomeFindsRedisFull(false);
	}

	@Test
	void aFutureWhoseOutcomeFindsRedisFullIsCompletedWithoutItWithoutBlocking() throws Throwable {
		outcomeFindsRedisFull(true);
	}

	private void outcomeFindsRedisFull(boolean future) throws Throwable {
		RedisProcesses.Standalone redis = own(new RedisProcesses.Standalone("--maxmemory", "4mb",
				"--maxmemory-policy", "noeviction"));
		LettuceConnectionFactory connection = connect(redis.port());
		IdempotencyEngine engine = IdempotencyEngine.builder(new RedisIdempotencyStore(connection))
			.keys(new IdempotencyKeys("oom:", 255))
			.build();
		StringRedisTemplate template = new StringRedisTemplate(connection);
		assertThat(RedisMemoryPolicy.read(connection)).isEqualTo(new RedisMemoryPolicy("noeviction", 4 * 1024 * 1024, 0));
		AtomicInteger executions = new AtomicInteger();
		IdempotencyCall call = call("order-1");

		IdempotencyEngine.Invocation<String> method = () -> {
			executions.incrementAndGet();
			// While the call runs, Redis fills past its limit: the limit is lowered below what it holds.
			long used = Long.parseLong(template
				.execute((RedisCallback<Properties>) (server) -> server.serverCommands().info("memory"))
				.getProperty("used_memory"));
			template.execute((RedisCallback<Void>) (server) -> {
				server.serverCommands().setConfig("maxmemory", Long.toString(used / 2));
				return null;
			});
			return "x".repeat(10_000);
		};
		String result = future
				? engine
					.executeAsync(call, TEXT, () -> CompletableFuture.completedFuture(method.invoke()), Runnable::run)
					.value()
					.get(30, TimeUnit.SECONDS)
				: engine.execute(call, TEXT, method).value();
		assertThat(result).hasSize(10_000);

		assertThatExceptionOfType(ReplayUnavailableException.class)
			.as("the duplicate is refused, not run again")
			.isThrownBy(() -> engine.execute(call, TEXT, () -> "a second run"));
		assertThat(executions).hasValue(1);
		String storageKey = new IdempotencyKeys("oom:", 255).storageKey("orders", null, "order-1");
		assertThat(new RedisIdempotencyStore(connection).find(storageKey)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(record.outcome()).isNull();
			assertThat(record.expiresAt()).isNotNull();
		});
	}

	@Test
	void anEvictingPolicyAndTheKeysItEvictedAreReadFromInfo() {
		RedisProcesses.Standalone redis = own(new RedisProcesses.Standalone("--maxmemory", "4mb",
				"--maxmemory-policy", "allkeys-lru"));
		LettuceConnectionFactory connection = connect(redis.port());
		StringRedisTemplate template = new StringRedisTemplate(connection);
		String value = "v".repeat(100_000);
		for (int i = 0; i < 100; i++) {
			template.opsForValue().set("filler-" + i, value);
		}
		RedisMemoryPolicy policy = RedisMemoryPolicy.read(connection);
		assertThat(policy.policy()).isEqualTo("allkeys-lru");
		assertThat(policy.evicts()).isTrue();
		assertThat(policy.maxMemoryBytes()).isEqualTo(4 * 1024 * 1024);
		assertThat(policy.evictedKeys()).isPositive();
	}

	private static IdempotencyCall call(String key) {
		return new IdempotencyCall("orders", key, null, null, null,
				IdempotencyPolicy.of(DuplicatePolicy.REPLAY, Duration.ofMinutes(1), Duration.ofMinutes(5)));
	}

	private LettuceConnectionFactory connect(int port) {
		LettuceConnectionFactory factory = TestRedis
			.connect(new RedisStandaloneConfiguration(TestRedis.endpoint().host(), port));
		this.resources.add(factory::destroy);
		return factory;
	}

	private <T extends AutoCloseable> T own(T resource) {
		this.resources.add(resource);
		return resource;
	}

}
