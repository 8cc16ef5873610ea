package dev.idempotent.example;

import dev.idempotent.test.servers.TestRedis;

import org.springframework.test.context.DynamicPropertyRegistry;

/** Points an example test's application at the test Redis, with its keys under a prefix of its own. */
public final class ExampleRedis {

	private ExampleRedis() {
	}

	/**
	 * Registers the test Redis's address and the key prefix.
	 * @param keyPrefix the prefix of every key the test's application writes, so tests sharing one Redis
	 * never meet each other's records
	 */
	public static void register(DynamicPropertyRegistry registry, String keyPrefix) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> keyPrefix);
	}

}
