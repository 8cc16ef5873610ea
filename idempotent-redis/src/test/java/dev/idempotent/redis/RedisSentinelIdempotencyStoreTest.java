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
