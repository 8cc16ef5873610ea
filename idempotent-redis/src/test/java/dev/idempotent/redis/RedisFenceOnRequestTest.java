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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.IdempotencyLease;
import dev.idempotent.core.IdempotencyListener;
import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static dev.idempotent.redis.TextOutcomes.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * On Redis a call's fence is read from Redis the first time business code asks for it, and only while
 * the call still holds its key: a call whose key was claimed by another since gets no fence, so it
 * cannot write over the newer call's work.
 */
class RedisFenceOnRequestTest {

	private static LettuceConnectionFactory connectionFactory;

	private final IdempotencyKeys keys = new IdempotencyKeys("fence-" + UUID.randomUUID() + ":", 255);

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final RedisIdempotencyStore store = new RedisIdempotencyStore(connectionFactory);

	private final IdempotencyEngine engine = IdempotencyEngine.builder(this.store)
		.keys(this.keys)
		.listener(new IdempotencyListener() {

			@Override
			public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
				RedisFenceOnRequestTest.this.events.add(call.key() + "=" + outcome.value());
			}

			@Override
			public void onLeaseLost(IdempotencyCall call) {
				RedisFenceOnRequestTest.this.events.add(call.key() + "=lease_lost");
			}

		})
		.build();

	@BeforeAll
	static void connect() {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		connectionFactory = TestRedis.connect(new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
	}

	@AfterAll
	static void disconnect() {
		connectionFactory.destroy();
	}

	@Test
	void aCallsFenceIsReadFromRedisOnceAndALaterCallOfTheKeyGetsAGreaterOne() throws Throwable {
		StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
		boolean onRequest = CommandStats.claimsPlainly(redis);
		long[] first = new long[1];
		this.engine.execute(call("order-1"), TEXT, () -> {
			IdempotencyLease lease = this.engine.currentLease().orElseThrow();
			Map<String, Long> before = CommandStats.read(redis);
			first[0] = lease.fence();
			Map<String, Long> afterFirst = CommandStats.read(redis);
			assertThat(lease.fence()).as("asked again").isEqualTo(first[0]);
			assertThat(CommandStats.spent(afterFirst, CommandStats.read(redis)))
				.as("the second answer costs no round trip")
				.doesNotContainKey("evalsha");
			if (onRequest) {
				assertThat(CommandStats.spent(before, afterFirst)).as("the first is one script reading TIME")
					.containsEntry("evalsha", 1L)
					.containsEntry("time", 1L);
			}
			else {
				assertThat(CommandStats.spent(before, afterFirst)).as("on Redis 6.2 the claim script read it")
					.doesNotContainKey("evalsha");
			}
			return "placed";
		});
		assertThat(first[0]).as("Redis's clock in microseconds")
			.isGreaterThan(Instant.parse("2020-01-01T00:00:00Z").toEpochMilli() * 1000);
		assertThat(this.store.delete(this.keys.storageKey("orders", null, "order-1"))).isTrue();
		long[] second = new long[1];
		this.engine.execute(call("order-1"), TEXT, () -> {
			second[0] = this.engine.currentLease().orElseThrow().fence();
			return "placed again";
		});
		assertThat(second[0]).isGreaterThan(first[0]);
		assertThat(this.events).containsExactly("order-1=executed", "order-1=executed");
	}

	@Test
	void aCallWhoseKeyWasClaimedByAnotherGetsNoFenceAFencedWriteCouldUse() throws Throwable {
		String storageKey = this.keys.storageKey("orders", null, "order-2");
		this.engine.execute(call("order-2"), TEXT, () -> {
			IdempotencyLease lease = this.engine.currentLease().orElseThrow();
			// An operator deletes the key of the running call, and a duplicate claims it and runs.
			assertThat(this.store.delete(storageKey)).isTrue();
			ClaimResult duplicate = this.store.tryClaim(storageKey, "duplicate", null, Duration.ofMinutes(1));
			assertThat(duplicate.isAcquired()).isTrue();
			assertThat(lease.isHeld()).as("as far as the engine knew").isTrue();
			if (duplicate.fenceOnRequest()) {
				assertThatIllegalStateException().isThrownBy(lease::fence)
					.withMessageContaining("no longer holds its key");
				assertThat(lease.isHeld()).isFalse();
				assertThat(this.events).contains("order-2=lease_lost");
			}
			else {
				// On Redis 6.2 the fence came with the claim: the resource refuses it, as the duplicate's is greater.
				assertThat(duplicate.fence()).isGreaterThan(lease.fence());
			}
			return "placed";
		});
		assertThat(this.store.find(storageKey)).hasValueSatisfying(
				(record) -> assertThat(record.owner()).as("the duplicate's claim stands").isEqualTo("duplicate"));
	}

	private static IdempotencyCall call(String key) {
		return new IdempotencyCall("orders", key, null, null, null,
				IdempotencyPolicy.of(DuplicatePolicy.REPLAY, Duration.ofMinutes(1), Duration.ofMinutes(5)));
	}

}
