package dev.idempotent.redis;

import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

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
	void aForeignValueUnderTheKeyIsAnErrorNotARecord() {
		String key = key("foreign");
		redis().opsForValue().set(key, "not a record", LONG_LEASE);
		assertThatException().isThrownBy(() -> store().tryClaim(key, "owner-1", null, LONG_LEASE));
		assertThat(redis().opsForValue().get(key)).isEqualTo("not a record");
	}

}
