package dev.idempotent.spring.redis;

import dev.idempotent.core.IdempotencyStore;
import dev.idempotent.spring.autoconfigure.IdempotentAutoConfiguration;
import dev.idempotent.test.RedisProcesses;
import dev.idempotent.test.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis store keeps the store contract on a Sentinel setup that the test starts on loopback:
 * one master, one replica, one sentinel, found through the sentinel.
 */
class RedisSentinelIdempotencyStoreTest extends RedisStoreContractTest {

	private static RedisProcesses.Sentinel sentinel;

	private static LettuceConnectionFactory connectionFactory;

	@BeforeAll
	static void startSentinel() {
		sentinel = new RedisProcesses.Sentinel();
		connectionFactory = TestRedis.connect(sentinel.configuration());
	}

	@AfterAll
	static void stopSentinel() {
		if (connectionFactory != null) {
			connectionFactory.destroy();
		}
		if (sentinel != null) {
			sentinel.close();
		}
	}

	@Override
	protected RedisConnectionFactory connectionFactory() {
		return connectionFactory;
	}

	@Test
	void configuredThroughSpringDataRedisSentinelProperties() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotentAutoConfiguration.class, DataRedisAutoConfiguration.class,
					JacksonAutoConfiguration.class))
			.withPropertyValues("spring.data.redis.sentinel.master=" + RedisProcesses.Sentinel.MASTER_NAME,
					"spring.data.redis.sentinel.nodes=127.0.0.1:" + sentinel.sentinelPort())
			.run((context) -> {
				IdempotencyStore configured = context.getBean(IdempotencyStore.class);
				assertThat(configured).isInstanceOf(RedisIdempotencyStore.class);
				String key = key("configured");
				assertThat(configured.tryClaim(key, "owner-1", null, LONG_LEASE).isAcquired()).isTrue();
				assertThat(store().find(key)).as("the same servers").isPresent();
			});
	}

}
