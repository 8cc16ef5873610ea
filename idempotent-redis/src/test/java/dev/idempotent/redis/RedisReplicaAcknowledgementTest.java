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

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * What {@code idempotent.redis.min-replicas-acked} changes, on a Sentinel setup the test starts: one
 * master, one replica. With 0, a claim succeeds on the master alone, so a failover right then would
 * forget it. With 1, a claim returns only once the replica has it, and fails closed (released, the
 * store throws, the engine answers 503) when no replica acknowledges it in time.
 */
class RedisReplicaAcknowledgementTest {

	private static final Duration LEASE = Duration.ofMinutes(5);

	private static RedisProcesses.Sentinel sentinel;

	private static LettuceConnectionFactory connectionFactory;

	private static LettuceConnectionFactory replicaConnectionFactory;

	private static StringRedisTemplate replica;

	private final String key = "ack-test:" + UUID.randomUUID();

	@BeforeAll
	static void startSentinel() {
		sentinel = new RedisProcesses.Sentinel();
		connectionFactory = TestRedis.connect(sentinel.configuration());
		replicaConnectionFactory = TestRedis.connect(
				new RedisStandaloneConfiguration("127.0.0.1", sentinel.replicaPort()));
		replica = new StringRedisTemplate(replicaConnectionFactory);
	}

	@AfterAll
	static void stopSentinel() {
		if (replicaConnectionFactory != null) {
			replicaConnectionFactory.destroy();
		}
		if (connectionFactory != null) {
			connectionFactory.destroy();
		}
		if (sentinel != null) {
			sentinel.close();
		}
	}

	private static RedisIdempotencyStore store(int minReplicasAcked) {
		return new RedisIdempotencyStore(connectionFactory, Clock.systemUTC(), minReplicasAcked,
				Duration.ofMillis(500));
	}

	@Test
	void aClaimAcknowledgedByAReplicaIsOnTheReplicaWhenItReturns() {
		RedisIdempotencyStore store = store(1);
		assertThat(store.tryClaim(this.key, "owner-1", "fp", LEASE).isAcquired()).isTrue();
		assertThat(replica.opsForValue().get(this.key)).startsWith("1|I|owner-1|");
		assertThat(store.complete(this.key, "owner-1", "done", LEASE)).isTrue();
		assertThat(replica.opsForValue().get(this.key)).startsWith("1|C|owner-1|").endsWith("|done");
		assertThat(store.tryClaim(this.key, "owner-2", "fp", LEASE).existing().outcome()).isEqualTo("done");
	}

	@Test
	void withoutAReplicaAClaimFailsClosedOnlyWhenAcknowledgementsAreRequired() {
		RedisIdempotencyStore asynchronous = store(0);
		RedisIdempotencyStore acknowledged = store(1);
		String token = this.key + ":token";
		sentinel.stop(sentinel.replicaPort());
		try {
			String unreplicated = this.key + ":async";
			assertThat(asynchronous.tryClaim(unreplicated, "owner-1", null, LEASE).isAcquired())
				.as("min-replicas-acked=0: the master alone holds the claim; a failover now would forget it")
				.isTrue();

			assertThatIllegalStateException()
				.isThrownBy(() -> acknowledged.tryClaim(this.key, "owner-1", null, LEASE))
				.withMessageContaining("acknowledged by 0 of 1 required Redis replicas");
			assertThat(acknowledged.find(this.key)).as("the unacknowledged claim was released, so a retry can run")
				.isEmpty();

			assertThat(acknowledged.issueToken(token, LEASE)).isTrue();
			assertThatIllegalStateException()
				.isThrownBy(() -> acknowledged.tryClaimToken(token, "owner-1", null, LEASE))
				.withMessageContaining("acknowledged by 0 of 1 required Redis replicas");
		}
		finally {
			sentinel.restart(sentinel.replicaPort());
			sentinel.awaitReplicaOnline();
		}
		assertThat(acknowledged.tryClaim(this.key, "owner-2", null, LEASE).isAcquired())
			.as("with the replica back, the retry claims the key")
			.isTrue();
		assertThat(acknowledged.tryClaimToken(token, "owner-2", null, LEASE).isAcquired())
			.as("the unacknowledged token claim gave its token back, so the retry runs with it")
			.isTrue();
	}

}
