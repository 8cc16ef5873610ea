package dev.idempotent.spring.redis;

import java.time.Duration;
import java.util.UUID;

import dev.idempotent.core.ClaimResult;
import dev.idempotent.core.RecordState;
import dev.idempotent.test.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/** The Redis store against a real Redis. */
class RedisIdempotencyStoreTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofHours(24);

	private static LettuceConnectionFactory connectionFactory;

	private static RedisIdempotencyStore store;

	private static StringRedisTemplate redis;

	private final String key = "test:" + UUID.randomUUID();

	@BeforeAll
	static void connect() {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		connectionFactory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
		connectionFactory.afterPropertiesSet();
		connectionFactory.start();
		store = new RedisIdempotencyStore(connectionFactory);
		redis = new StringRedisTemplate(connectionFactory);
	}

	@AfterAll
	static void disconnect() {
		connectionFactory.destroy();
	}

	@Test
	void claimWritesAnInProgressRecordThatLivesForTheLease() {
		assertThat(store.tryClaim(this.key, "owner-1", "fp-1", LEASE).isAcquired()).isTrue();
		assertThat(redis.getExpire(this.key)).isBetween(1L, LEASE.toSeconds());
		assertThat(store.find(this.key)).hasValueSatisfying((record) -> {
			assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(record.owner()).isEqualTo("owner-1");
			assertThat(record.fingerprint()).isEqualTo("fp-1");
			assertThat(record.outcome()).isNull();
			assertThat(record.expiresAt()).isAfter(record.createdAt());
		});
	}

	@Test
	void secondClaimGetsTheHolderInTheSameRoundTrip() {
		store.tryClaim(this.key, "owner-1", null, LEASE);
		ClaimResult second = store.tryClaim(this.key, "owner-2", null, LEASE);
		assertThat(second.isAcquired()).isFalse();
		assertThat(second.existing().owner()).isEqualTo("owner-1");
		assertThat(second.existing().fingerprint()).isNull();
		assertThat(second.existing().state()).isEqualTo(RecordState.IN_PROGRESS);
	}

	@Test
	void completeStoresTheOutcomeForTheRetention() {
		store.tryClaim(this.key, "owner-1", null, LEASE);
		String outcome = "{\"value\":{\"id\":\"o-1\",\"note\":\"multi\\nline\"}}";
		assertThat(store.complete(this.key, "owner-1", outcome, RETENTION)).isTrue();
		assertThat(redis.getExpire(this.key)).isGreaterThan(LEASE.toSeconds()).isLessThanOrEqualTo(RETENTION.toSeconds());
		ClaimResult duplicate = store.tryClaim(this.key, "owner-2", null, LEASE);
		assertThat(duplicate.existing().state()).isEqualTo(RecordState.COMPLETED);
		assertThat(duplicate.existing().outcome()).isEqualTo(outcome);
	}

	@Test
	void onlyTheOwnerCompletesReleasesOrExtends() {
		store.tryClaim(this.key, "owner-1", null, LEASE);
		assertThat(store.complete(this.key, "intruder", "x", RETENTION)).isFalse();
		assertThat(store.release(this.key, "intruder")).isFalse();
		assertThat(store.extend(this.key, "intruder", RETENTION)).isFalse();
		assertThat(redis.getExpire(this.key)).isLessThanOrEqualTo(LEASE.toSeconds());
		assertThat(store.find(this.key)).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS));
		assertThat(store.extend(this.key, "owner-1", Duration.ofMinutes(5))).isTrue();
		assertThat(redis.getExpire(this.key)).isGreaterThan(LEASE.toSeconds());
		assertThat(store.release(this.key, "owner-1")).isTrue();
		assertThat(store.find(this.key)).isEmpty();
	}

	@Test
	void aCompletedRecordIsNotReleasedOrCompletedAgain() {
		store.tryClaim(this.key, "owner-1", null, LEASE);
		store.complete(this.key, "owner-1", "first", RETENTION);
		assertThat(store.release(this.key, "owner-1")).isFalse();
		assertThat(store.complete(this.key, "owner-1", "second", RETENTION)).isFalse();
		assertThat(store.find(this.key)).hasValueSatisfying((r) -> assertThat(r.outcome()).isEqualTo("first"));
	}

	@Test
	void aLapsedOwnerCannotTouchTheNextClaim() {
		store.tryClaim(this.key, "owner-1", null, LEASE);
		redis.delete(this.key); // what the lease's expiry does
		assertThat(store.tryClaim(this.key, "owner-2", null, LEASE).isAcquired()).isTrue();
		assertThat(store.complete(this.key, "owner-1", "late", RETENTION)).isFalse();
		assertThat(store.release(this.key, "owner-1")).isFalse();
		assertThat(store.extend(this.key, "owner-1", LEASE)).isFalse();
		assertThat(store.find(this.key)).hasValueSatisfying((r) -> assertThat(r.owner()).isEqualTo("owner-2"));
	}

	@Test
	void deleteRemovesWhateverTheState() {
		store.tryClaim(this.key, "owner-1", null, LEASE);
		store.complete(this.key, "owner-1", "x", RETENTION);
		assertThat(store.delete(this.key)).isTrue();
		assertThat(store.delete(this.key)).isFalse();
		assertThat(store.find(this.key)).isEmpty();
		assertThat(store.tryClaim(this.key, "owner-2", null, LEASE).isAcquired()).isTrue();
	}

	@Test
	void aForeignValueUnderTheKeyIsAnErrorNotARecord() {
		redis.opsForValue().set(this.key, "not a record", LEASE);
		assertThatException().isThrownBy(() -> store.tryClaim(this.key, "owner-1", null, LEASE));
		assertThat(redis.opsForValue().get(this.key)).isEqualTo("not a record");
	}

}
