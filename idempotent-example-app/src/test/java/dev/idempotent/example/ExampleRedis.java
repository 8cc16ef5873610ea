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
