package dev.idempotent.redis;

import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

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

}
