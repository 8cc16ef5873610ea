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
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The Redis store keeps the store contract against a real standalone Redis, with real TTLs. */
class RedisIdempotencyStoreTest extends RedisStoreContractTest {

	private static LettuceConnectionFactory connectionFactory;

	@BeforeAll
	static void connect() {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		connectionFactory = TestRedis.connect(new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
	}

	@AfterAll
	static void disconnect() {
		connectionFactory.destroy();
	}

	@Override
	protected RedisConnectionFactory connectionFactory() {
		return connectionFactory;
	}

	@Test
	void everyWriteCarriesItsTtlInRedis() {
		String key = key("ttl");
		store().tryClaim(key, "owner-1", null, LONG_LEASE);
		assertThat(redis().getExpire(key)).isBetween(1L, LONG_LEASE.toSeconds());
		store().complete(key, "owner-1", "x", RETENTION);
		assertThat(redis().getExpire(key)).isGreaterThan(LONG_LEASE.toSeconds())
			.isLessThanOrEqualTo(RETENTION.toSeconds());
	}

	@Test
	void aRecordIsOneStringARedisClientReads() {
		String key = key("string");
		store().tryClaim(key, "owner-1", "fp-1", LONG_LEASE);
		assertThat(redis().opsForValue().get(key)).matches("1\\|I\\|owner-1\\|300000\\|fp-1\\|\\d{13}");
		store().complete(key, "owner-1", "{\"a\":\"x|y\"}", RETENTION);
		assertThat(redis().opsForValue().get(key)).matches("1\\|C\\|owner-1\\|fp-1\\|\\d{13}\\|\\{\"a\":\"x\\|y\"}");
		assertThat(store().find(key)).hasValueSatisfying((record) -> assertThat(record.outcome())
			.as("an outcome holding the separator").isEqualTo("{\"a\":\"x|y\"}"));
	}

	@Test
	void anOwnerOrFingerprintHoldingTheSeparatorIsRefusedAndWritesNothing() {
		String key = key("separator");
		assertThatIllegalArgumentException().isThrownBy(() -> store().tryClaim(key, "owner|1", null, LONG_LEASE));
		assertThatIllegalArgumentException().isThrownBy(() -> store().tryClaim(key, "owner-1", "fp|1", LONG_LEASE));
		assertThat(redis().hasKey(key)).isFalse();
		store().tryClaim(key, "owner", null, LONG_LEASE);
		// "owner|300000" would otherwise pass for the owner "owner" whose lease is 300000 ms.
		assertThatIllegalArgumentException().isThrownBy(() -> store().release(key, "owner|300000"));
		assertThat(store().find(key)).isPresent();
	}

	@Test
	void aClaimCompletedWithoutItsOutcomeIsCompletedAndItsOwnerCanOnlyAddTheOutcome() {
		String key = key("without-outcome");
		store().tryClaim(key, "owner-1", "fp-1", shortLease());
		// A longer renewal is written into the record: the claim is still in progress, not taken for completed.
		assertThat(store().extend(key, "owner-1", LONG_LEASE)).isTrue();
		assertThat(store().find(key)).hasValueSatisfying(
				(record) -> assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS));
		// What the store does when Redis, out of memory, refuses the completion's SET.
		assertThat(redis().execute(RedisScripts.COMPLETE_WITHOUT_OUTCOME, List.of(key), "owner-1",
				Long.toString(RETENTION.toMillis()))).isEqualTo(1L);

		IdempotencyRecord duplicate = store().tryClaim(key, "owner-2", "fp-1", LONG_LEASE).existing();
		assertThat(duplicate.state()).isEqualTo(RecordState.COMPLETED);
		assertThat(duplicate.outcome()).isNull();
		assertThat(duplicate.fingerprint()).isEqualTo("fp-1");
		assertThat(duplicate.expiresAt()).isAfter(Instant.now().plus(RETENTION).minus(Duration.ofMinutes(1)));
		assertThat(store().release(key, "owner-1")).isFalse();
		assertThat(store().extend(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().releaseTokenClaim(key, "owner-1", LONG_LEASE)).isFalse();
		assertThat(store().complete(key, "owner-2", "another's", RETENTION)).isFalse();
		assertThat(store().find(key)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(record.outcome()).isNull();
		});
		assertThat(redis().getExpire(key)).as("the retention, and the lease that marks it completed")
			.isGreaterThan(RETENTION.toSeconds());

		// The owner's completion retried once Redis has room (the engine retries one whose answer it never
		// got): the one call that ran is now replayed, still as completed.
		assertThat(store().complete(key, "owner-1", "late", RETENTION)).isTrue();
		IdempotencyRecord replayed = store().tryClaim(key, "owner-3", "fp-1", LONG_LEASE).existing();
		assertThat(replayed.state()).isEqualTo(RecordState.COMPLETED);
		assertThat(replayed.owner()).isEqualTo("owner-1");
		assertThat(replayed.outcome()).isEqualTo("late");
		assertThat(replayed.fingerprint()).isEqualTo("fp-1");
		assertThat(redis().getExpire(key)).as("the retention").isLessThanOrEqualTo(RETENTION.toSeconds());
		assertThat(store().complete(key, "owner-1", "again", RETENTION)).as("a completed claim is held by nobody")
			.isFalse();
	}

	@Test
	void aClaimsFenceIsRedissClockReadOnRequestAndGrowsWithEveryClaimOfTheKey() {
		String key = key("fence");
		ClaimResult claim = store().tryClaim(key, "owner-1", null, LONG_LEASE);
		boolean plain = CommandStats.claimsPlainly(redis());
		assertThat(claim.fenceOnRequest()).as("a claim on Redis 7 reads no clock, the 6.2 script does").isEqualTo(plain);
		long first = plain ? store().fence(key, "owner-1") : claim.fence();
		assertThat(first).as("a fence from Redis's clock, in microseconds")
			.isGreaterThan(Instant.parse("2020-01-01T00:00:00Z").toEpochMilli() * 1000);
		store().release(key, "owner-1");
		ClaimResult again = store().tryClaim(key, "owner-2", null, LONG_LEASE);
		long second = plain ? store().fence(key, "owner-2") : again.fence();
		assertThat(second).isGreaterThan(first);
		String token = key("fence-token");
		store().issueToken(token, LONG_LEASE);
		ClaimResult tokenClaim = store().tryClaimToken(token, "owner-3", null, LONG_LEASE);
		assertThat(tokenClaim.fenceOnRequest()).as("a token claim is a script, which reads the clock at once").isFalse();
		assertThat(tokenClaim.fence()).isGreaterThan(second);
	}

	@Test
	void aDurationThatIsNoWholeNumberOfMillisecondsIsRefusedAndWritesNothing() {
		String key = key("micros");
		// PEXPIRE 0 would delete the claim at once.
		assertThatIllegalArgumentException().isThrownBy(() -> store().tryClaim(key, "owner-1", null, Duration.ofNanos(500_000)))
			.withMessageContaining("whole number of milliseconds");
		assertThat(redis().hasKey(key)).isFalse();
	}

	@Test
	void aCallOnAStalledRedisFailsWithinTheStoresOwnTimeoutNotTheClients() throws Exception {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		try (TcpProxy proxy = new TcpProxy(endpoint.host(), endpoint.port())) {
			// The application's client waits a minute, Lettuce's default.
			LettuceConnectionFactory patient = new LettuceConnectionFactory(
					new RedisStandaloneConfiguration(endpoint.host(), proxy.port()),
					LettuceClientConfiguration.builder().commandTimeout(Duration.ofMinutes(1)).build());
			patient.afterPropertiesSet();
			patient.start();
			try {
				RedisIdempotencyStore store = new RedisIdempotencyStore(patient, Clock.systemUTC(), 0,
						Duration.ofSeconds(1), Duration.ofMillis(300));
				assertThat(store.tryClaim(key("before"), "owner-1", null, LONG_LEASE).isAcquired()).isTrue();
				proxy.pause();
				assertThatIllegalStateException()
					.isThrownBy(() -> store.tryClaim(key("stalled"), "owner-1", null, LONG_LEASE))
					.withMessage("Redis did not answer within 300 ms");
				assertThatIllegalStateException().isThrownBy(() -> store.extend(key("before"), "owner-1", LONG_LEASE))
					.withMessage("Redis did not answer within 300 ms");
				proxy.resume();
				assertThat(store.complete(key("before"), "owner-1", "done", RETENTION)).isTrue();
			}
			finally {
				patient.destroy();
			}
		}
	}

	@Test
	void aClaimWithoutBlockingAnswersAsTheBlockingOneAndAStalledRedisFailsItWithinTheTimeout() throws Exception {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		try (TcpProxy proxy = new TcpProxy(endpoint.host(), endpoint.port())) {
			LettuceConnectionFactory patient = new LettuceConnectionFactory(
					new RedisStandaloneConfiguration(endpoint.host(), proxy.port()),
					LettuceClientConfiguration.builder().commandTimeout(Duration.ofMinutes(1)).build());
			patient.afterPropertiesSet();
			patient.start();
			try {
				RedisIdempotencyStore store = new RedisIdempotencyStore(patient, Clock.systemUTC(), 0,
						Duration.ofSeconds(1), Duration.ofMillis(300));
				assertThat(store.claimsWithoutBlocking()).isTrue();
				String key = key("async");
				assertThat(store.tryClaimAsync(key, "owner-1", "fp", LONG_LEASE).toCompletableFuture().get(5, TimeUnit.SECONDS)
					.isAcquired()).isTrue();
				assertThat(store.complete(key, "owner-1", "done", RETENTION)).isTrue();
				ClaimResult duplicate = store.tryClaimAsync(key, "owner-2", "fp", LONG_LEASE)
					.toCompletableFuture()
					.get(5, TimeUnit.SECONDS);
				assertThat(duplicate.isAcquired()).isFalse();
				assertThat(duplicate.existing().outcome()).isEqualTo("done");

				proxy.pause();
				assertThatExceptionOfType(ExecutionException.class)
					.isThrownBy(() -> store.tryClaimAsync(key("async-stalled"), "owner-1", null, LONG_LEASE)
						.toCompletableFuture()
						.get(5, TimeUnit.SECONDS))
					.havingCause()
					.isInstanceOf(IllegalStateException.class)
					.withMessage("Redis did not answer within 300 ms");
				// A script call without blocking is bounded the same way.
				assertThatExceptionOfType(ExecutionException.class)
					.isThrownBy(() -> store.extendAsync(key, "owner-1", LONG_LEASE)
						.toCompletableFuture()
						.get(5, TimeUnit.SECONDS))
					.havingCause()
					.isInstanceOf(IllegalStateException.class)
					.withMessage("Redis did not answer within 300 ms");
				// As with Lettuce's own timeouts, what follows the failure does not run on the timer that times
				// every other call.
				String failedOn = store.tryClaimAsync(key("async-stalled-thread"), "owner-1", null, LONG_LEASE)
					.toCompletableFuture()
					.handle((claim, failure) -> Thread.currentThread().getName())
					.get(5, TimeUnit.SECONDS);
				assertThat(failedOn).doesNotStartWith("lettuce-timer");
				proxy.resume();

				// Disconnected, Lettuce holds a command to send once it has reconnected; a timed-out claim is
				// cancelled, so it is never sent and the key stays free for the retry its 503 invites.
				proxy.cut();
				String unsent = key("async-disconnected");
				assertThatExceptionOfType(ExecutionException.class)
					.isThrownBy(() -> store.tryClaimAsync(unsent, "owner-1", null, LONG_LEASE)
						.toCompletableFuture()
						.get(5, TimeUnit.SECONDS))
					.havingCause()
					.withMessage("Redis did not answer within 300 ms");
				proxy.restore();
				Poll.until("the store reaches Redis again", () -> claims(store, key("after")));
				assertThat(redis().hasKey(unsent)).isFalse();
			}
			finally {
				patient.destroy();
			}
		}
	}

	private static boolean claims(RedisIdempotencyStore store, String key) {
		try {
			return store.tryClaim(key, "owner-1", null, LONG_LEASE).isAcquired();
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	@Test
	void redissOwnErrorIsNamedInTheFailure() {
		String key = key("foreign-type");
		redis().opsForList().leftPush(key, "not a record");
		redis().expire(key, LONG_LEASE);
		assertThatException().isThrownBy(() -> store().tryClaim(key, "owner-1", null, LONG_LEASE))
			.withMessageContaining("WRONGTYPE");
	}

	@Test
	void aForeignValueUnderTheKeyIsAnErrorNotARecord() {
		String key = key("foreign");
		redis().opsForValue().set(key, "not a record", LONG_LEASE);
		assertThatException().isThrownBy(() -> store().tryClaim(key, "owner-1", null, LONG_LEASE));
		assertThat(redis().opsForValue().get(key)).isEqualTo("not a record");
	}

}
