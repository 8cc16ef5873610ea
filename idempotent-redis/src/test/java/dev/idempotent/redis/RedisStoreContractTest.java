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

import java.time.Clock;
import java.time.Duration;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.test.IdempotencyStoreContractTest;
import dev.idempotent.test.servers.RedisTime;

import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The store contract for the Redis store on any Redis setup: records expire in Redis's real time, so
 * the tests wait out short leases by polling Redis. A subclass starts or finds the servers and
 * supplies their connection factory.
 */
abstract class RedisStoreContractTest extends IdempotencyStoreContractTest {

	private RedisIdempotencyStore store;

	private StringRedisTemplate redis;

	/** The connection to the Redis setup under test. */
	protected abstract RedisConnectionFactory connectionFactory();

	@Override
	protected RedisIdempotencyStore store() {
		if (this.store == null) {
			this.store = new RedisIdempotencyStore(connectionFactory());
		}
		return this.store;
	}

	/** A template on the same servers, to look at what the store wrote. */
	protected StringRedisTemplate redis() {
		if (this.redis == null) {
			this.redis = new StringRedisTemplate(connectionFactory());
		}
		return this.redis;
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
		// Every server of a setup shares this machine's clock, so a probe key measures time for all.
		RedisTime.elapse(redis(), duration);
	}

}
