package dev.idempotent.example;

import java.util.List;

import dev.idempotent.test.servers.TestRedis;

/** Two example instances on one Redis. */
class TwoInstancesOnRedisHttpTest extends TwoInstancesHttpTests {

	@Override
	protected List<String> storeArguments() {
		return List.of("--spring.data.redis.host=" + TestRedis.endpoint().host(),
				"--spring.data.redis.port=" + TestRedis.endpoint().port());
	}

}
