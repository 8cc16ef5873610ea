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
import java.util.Map;

import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a call costs Redis, in commands counted by {@code INFO commandstats} on a server of the
 * test's own (no other client adds to its counts). Counts, not times: the times are measured in the
 * benchmarks.
 */
class RedisCommandCountTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofMinutes(5);

	private static RedisProcesses.Standalone server;

	private static LettuceConnectionFactory connectionFactory;

	private static StringRedisTemplate redis;

	private static RedisIdempotencyStore store;

	@BeforeAll
	static void start() {
		server = new RedisProcesses.Standalone();
		connectionFactory = TestRedis
			.connect(new RedisStandaloneConfiguration(TestRedis.endpoint().host(), server.port()));
		redis = new StringRedisTemplate(connectionFactory);
		store = new RedisIdempotencyStore(connectionFactory);
		// Loads the scripts (a first EVALSHA meets NOSCRIPT and falls back to EVAL), so counts are a steady state's.
		store.tryClaim("warm-up", "owner-0", "fp", LEASE);
		store.complete("warm-up", "owner-0", "outcome", RETENTION);
		store.tryClaim("warm-up", "owner-1", "fp", LEASE);
		store.tryClaim("warm-up-running", "owner-0", "fp", LEASE);
		store.tryClaim("warm-up-running", "owner-1", "fp", LEASE);
	}

	@AfterAll
	static void stop() {
		connectionFactory.destroy();
		server.close();
	}

	@Test
	void aNewCallCostsFourRedisCommands() {
		Map<String, Long> before = CommandStats.read(redis);
		assertThat(store.tryClaim("new-call", "owner-1", "fp", LEASE).isAcquired()).isTrue();
		assertThat(store.complete("new-call", "owner-1", "{\"id\":1}", RETENTION)).isTrue();
		// The claim: SET NX PX GET, no script (the fence is read only if asked for); the completion: EVALSHA
		// running GET (the owner) and SET PX: 4 in all, where the hash record took 9 and the hand-written floor
		// (SET NX PX, then SET PX) takes 2.
		// On Redis 6.2 the claim is the claim script, running SET NX PX and TIME (the fence): 6 in all.
		assertThat(CommandStats.spent(before, CommandStats.read(redis))).containsExactlyInAnyOrderEntriesOf(
				CommandStats.claimsPlainly(redis) ? Map.of("set", 2L, "evalsha", 1L, "get", 1L)
						: Map.of("evalsha", 2L, "set", 2L, "time", 1L, "get", 1L));
	}

	@Test
	void aDuplicateOfACompletedCallCostsOneRedisCommand() {
		store.tryClaim("duplicate", "owner-1", "fp", LEASE);
		store.complete("duplicate", "owner-1", "{\"id\":1}", RETENTION);
		Map<String, Long> before = CommandStats.read(redis);
		assertThat(store.tryClaim("duplicate", "owner-2", "fp", LEASE).existing().outcome()).isEqualTo("{\"id\":1}");
		// SET NX GET, refused (the key is held), answers the record; the floor's SET NX then GET take 2. On
		// Redis 6.2 the claim script runs SET NX, GET and PTTL.
		assertThat(CommandStats.spent(before, CommandStats.read(redis))).containsExactlyInAnyOrderEntriesOf(
				CommandStats.claimsPlainly(redis) ? Map.of("set", 1L)
						: Map.of("evalsha", 1L, "set", 1L, "get", 1L, "pttl", 1L));
	}

	@Test
	void aDuplicateOfARunningCallAlsoReadsHowLongItsClaimLives() {
		store.tryClaim("running", "owner-1", "fp", LEASE);
		Map<String, Long> before = CommandStats.read(redis);
		assertThat(store.tryClaim("running", "owner-2", "fp", LEASE).existing().expiresAt()).isNotNull();
		// SET NX GET meets a claim in progress; the claim script then reads it with its PTTL (SET NX, GET, PTTL).
		// On Redis 6.2 only the script runs.
		assertThat(CommandStats.spent(before, CommandStats.read(redis))).containsExactlyInAnyOrderEntriesOf(
				Map.of("set", CommandStats.claimsPlainly(redis) ? 2L : 1L, "evalsha", 1L, "get", 1L, "pttl", 1L));
	}

}
