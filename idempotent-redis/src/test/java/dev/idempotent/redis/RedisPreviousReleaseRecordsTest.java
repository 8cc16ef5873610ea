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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.servers.TestRedis;
import io.lettuce.core.RedisCommandExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import static dev.idempotent.redis.TextOutcomes.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A rolling upgrade: records the previous release wrote, a hash per key ({@code state}, {@code owner},
 * {@code fingerprint}, {@code created}, {@code outcome}) written here exactly as its scripts did, are
 * read by this release and answered as before: a duplicate is replayed or refused, never run again.
 */
class RedisPreviousReleaseRecordsTest {

	private static final Duration LEASE = Duration.ofMinutes(1);

	private static final Duration RETENTION = Duration.ofMinutes(10);

	private static final IdempotencyKeys KEYS = new IdempotencyKeys("previous-release:" + UUID.randomUUID() + ":",
			255);

	// The previous release's claim script, as it was.
	@SuppressWarnings("rawtypes")
	private static final RedisScript<List> PREVIOUS_CLAIM = RedisScript.of("""
			if redis.call('EXISTS', KEYS[1]) == 0 then
				redis.call('HSET', KEYS[1], 'state', 'IN_PROGRESS', 'owner', ARGV[1], 'fingerprint', ARGV[2], 'created', ARGV[3])
				redis.call('PEXPIRE', KEYS[1], ARGV[4])
				local t = redis.call('TIME')
				return {'CLAIMED', t[1], t[2]}
			end
			local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'fingerprint', 'created', 'outcome')
			return {r[1], r[2], r[3], r[4], r[5], redis.call('PTTL', KEYS[1])}
			""", List.class);

	private static LettuceConnectionFactory connectionFactory;

	private static StringRedisTemplate redis;

	private final RedisIdempotencyStore store = new RedisIdempotencyStore(connectionFactory);

	private final IdempotencyEngine engine = IdempotencyEngine.builder(this.store).keys(KEYS).build();

	private final AtomicInteger runs = new AtomicInteger();

	@BeforeAll
	static void connect() {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		connectionFactory = TestRedis.connect(new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
		redis = new StringRedisTemplate(connectionFactory);
	}

	@AfterAll
	static void disconnect() {
		connectionFactory.destroy();
	}

	@Test
	void aDuplicateOfACompletedHashRecordIsReplayedAndNeverRunsAgain() throws Throwable {
		String key = storageKey("completed");
		previousRelease(key, LEASE, "state", "IN_PROGRESS", "owner", "old-owner", "fingerprint", "fp-1", "created",
				"1700000000000");
		previousRelease(key, RETENTION, "state", "COMPLETED", "outcome", "=first answer");

		assertThat(this.engine.execute(call("completed", "fp-1"), TEXT, this::run).value()).isEqualTo("first answer");
		assertThat(this.runs).hasValue(0);

		ClaimResult duplicate = this.store.tryClaim(key, "new-owner", "fp-2", LEASE);
		assertThat(duplicate.isAcquired()).isFalse();
		IdempotencyRecord record = duplicate.existing();
		assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
		assertThat(record.owner()).isEqualTo("old-owner");
		assertThat(record.fingerprint()).as("the fingerprint the previous release kept").isEqualTo("fp-1");
		assertThat(record.createdAt()).isEqualTo(Instant.ofEpochMilli(1700000000000L));
		assertThat(record.outcome()).isEqualTo("=first answer");
		assertThat(record.expiresAt()).isAfter(Instant.now().plus(LEASE));
		assertThat(this.store.find(key)).hasValueSatisfying((found) -> {
			assertThat(found.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(found.outcome()).isEqualTo("=first answer");
		});
		assertThat(redis.type(key).code()).as("the old record is left as it was").isEqualTo("hash");
	}

	@Test
	void aDuplicateOfAnInProgressHashRecordIsToldToRetry() {
		String key = storageKey("running");
		previousRelease(key, LEASE, "state", "IN_PROGRESS", "owner", "old-owner", "fingerprint", "fp-1", "created",
				"1700000000000");

		assertThatExceptionOfType(RequestInProgressException.class)
			.isThrownBy(() -> this.engine.execute(call("running", "fp-1"), TEXT, this::run));
		assertThat(this.runs).hasValue(0);
		IdempotencyRecord record = this.store.tryClaim(key, "new-owner", "fp-1", LEASE).existing();
		assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
		assertThat(record.owner()).isEqualTo("old-owner");
		assertThat(record.fingerprint()).isEqualTo("fp-1");
		assertThat(this.store.find(key)).hasValueSatisfying((found) -> {
			assertThat(found.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(found.owner()).isEqualTo("old-owner");
		});
	}

	@Test
	void anInProgressHashRecordWithoutOwnerWasCompletedWithoutItsOutcomeAndIsRefused() {
		String key = storageKey("out-of-memory");
		previousRelease(key, RETENTION, "state", "IN_PROGRESS", "fingerprint", "fp-1", "created", "1700000000000");

		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> this.engine.execute(call("out-of-memory", "fp-1"), TEXT, this::run));
		assertThat(this.runs).hasValue(0);
		IdempotencyRecord record = this.store.tryClaim(key, "new-owner", "fp-1", LEASE).existing();
		assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
		assertThat(record.outcome()).isNull();
		assertThat(this.store.find(key)).hasValueSatisfying((found) -> {
			assertThat(found.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(found.outcome()).isNull();
		});
	}

	@Test
	void noOwnerOfThisReleaseCompletesReleasesOrExtendsAHashRecord() {
		String key = storageKey("held");
		previousRelease(key, LEASE, "state", "IN_PROGRESS", "owner", "old-owner", "fingerprint", "fp-1", "created",
				"1700000000000");
		assertThat(this.store.complete(key, "new-owner", "=x", RETENTION)).isFalse();
		assertThat(this.store.release(key, "new-owner")).isFalse();
		assertThat(this.store.extend(key, "new-owner", RETENTION)).isFalse();
		assertThat(this.store.releaseTokenClaim(key, "new-owner", LEASE)).isFalse();
		assertThat(this.store.issueToken(key, LEASE)).isFalse();
		assertThat(redis.<String, String>opsForHash().entries(key)).containsEntry("state", "IN_PROGRESS")
			.containsEntry("owner", "old-owner")
			.doesNotContainKey("outcome");
		assertThat(redis.getExpire(key)).isLessThanOrEqualTo(LEASE.toSeconds());
	}

	@Test
	void deleteRemovesAHashRecord() throws Throwable {
		String key = storageKey("deleted");
		previousRelease(key, RETENTION, "state", "COMPLETED", "owner", "old-owner", "created", "1700000000000",
				"outcome", "=x");
		assertThat(this.store.delete(key)).isTrue();
		assertThat(this.store.find(key)).isEmpty();
		assertThat(this.engine.execute(call("deleted", null), TEXT, this::run).value()).isEqualTo("run 1");
	}

	@Test
	void aHashTokenIsConsumedOnceAndBecomesThisReleasesRecord() {
		String key = storageKey("token");
		previousRelease(key, LEASE, "state", "TOKEN");
		assertThat(this.store.find(key)).as("a live token is no record").isEmpty();
		assertThat(this.store.issueToken(key, LEASE)).as("the key is taken by the token").isFalse();

		ClaimResult claim = this.store.tryClaimToken(key, "new-owner", "fp-1", LEASE);
		assertThat(claim.isAcquired()).isTrue();
		assertThat(claim.fence()).isPositive();
		ClaimResult again = this.store.tryClaimToken(key, "other-owner", "fp-1", LEASE);
		assertThat(again.isAcquired()).as("the token is consumed once").isFalse();
		assertThat(again.existing().state()).isEqualTo(RecordState.IN_PROGRESS);
		assertThat(again.existing().owner()).isEqualTo("new-owner");
		assertThat(this.store.complete(key, "new-owner", "=done", RETENTION)).isTrue();
		assertThat(this.store.find(key)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(record.fingerprint()).isEqualTo("fp-1");
			assertThat(record.outcome()).isEqualTo("=done");
		});
	}

	@Test
	void aConsumedHashTokensRecordIsAnsweredToTheNextTokenClaim() {
		String key = storageKey("token-used");
		previousRelease(key, RETENTION, "state", "COMPLETED", "owner", "old-owner", "fingerprint", "fp-1", "created",
				"1700000000000", "outcome", "=first");
		ClaimResult claim = this.store.tryClaimToken(key, "new-owner", "fp-1", LEASE);
		assertThat(claim.isAcquired()).isFalse();
		assertThat(claim.existing().outcome()).isEqualTo("=first");
	}

	@Test
	void thePreviousReleasesClaimOfThisReleasesRecordFailsAndChangesNothing() {
		String key = storageKey("mixed");
		this.store.tryClaim(key, "new-owner", "fp-1", LEASE);
		this.store.complete(key, "new-owner", "=done", RETENTION);
		String record = redis.opsForValue().get(key);
		assertThatException().as("an old instance answers 503, never runs the call")
			.isThrownBy(() -> redis.execute(PREVIOUS_CLAIM, List.of(key), "old-owner", "fp-1", "1700000000000",
					Long.toString(LEASE.toMillis())))
			.withRootCauseInstanceOf(RedisCommandExecutionException.class)
			.havingRootCause()
			.withMessageContaining("WRONGTYPE");
		assertThat(redis.opsForValue().get(key)).isEqualTo(record);
	}

	// As the previous release's scripts wrote: HSET of the fields, then PEXPIRE with the lease or retention.
	private static void previousRelease(String key, Duration ttl, String... fieldsAndValues) {
		Map<String, String> fields = new LinkedHashMap<>();
		for (int i = 0; i < fieldsAndValues.length; i += 2) {
			fields.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
		}
		redis.opsForHash().putAll(key, fields);
		redis.expire(key, ttl);
	}

	private String run() {
		return "run " + this.runs.incrementAndGet();
	}

	private static String storageKey(String key) {
		return KEYS.storageKey("orders", null, key);
	}

	private static IdempotencyCall call(String key, String fingerprint) {
		return new IdempotencyCall("orders", key, null, null, fingerprint,
				IdempotencyPolicy.of(DuplicatePolicy.REPLAY, LEASE, RETENTION));
	}

}
