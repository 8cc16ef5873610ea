package dev.idempotent.spring.redis;

import java.time.Clock;
import java.time.Duration;

import dev.idempotent.core.IdempotencyStore;
import dev.idempotent.test.RedisTime;
import dev.idempotent.test.TestRedis;
import dev.idempotent.testing.IdempotencyStoreContractTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/** The Redis store keeps the store contract against a real standalone Redis, with real TTLs. */
class RedisIdempotencyStoreTest extends IdempotencyStoreContractTest {

	private static LettuceConnectionFactory connectionFactory;

	private static RedisIdempotencyStore store;

	private static StringRedisTemplate redis;

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

	@Override
	protected IdempotencyStore store() {
		return store;
	}

	@Override
	protected Clock clock() {
		return Clock.systemUTC();
	}

	@Override
	protected Duration shortLease() {
		// Short enough to wait out, long enough that no pause between two statements outlasts it.
		return Duration.ofMillis(500);
	}

	@Override
	protected void elapse(Duration duration) {
		RedisTime.elapse(redis, duration);
	}

	@Test
	void everyWriteCarriesItsTtlInRedis() {
		String key = key("ttl");
		store.tryClaim(key, "owner-1", null, LONG_LEASE);
		assertThat(redis.getExpire(key)).isBetween(1L, LONG_LEASE.toSeconds());
		store.complete(key, "owner-1", "x", RETENTION);
		assertThat(redis.getExpire(key)).isGreaterThan(LONG_LEASE.toSeconds())
			.isLessThanOrEqualTo(RETENTION.toSeconds());
	}

	@Test
	void aForeignValueUnderTheKeyIsAnErrorNotARecord() {
		String key = key("foreign");
		redis.opsForValue().set(key, "not a record", LONG_LEASE);
		assertThatException().isThrownBy(() -> store.tryClaim(key, "owner-1", null, LONG_LEASE));
		assertThat(redis.opsForValue().get(key)).isEqualTo("not a record");
	}

}
