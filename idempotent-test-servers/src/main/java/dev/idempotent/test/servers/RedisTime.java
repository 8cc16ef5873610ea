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
package dev.idempotent.test.servers;

import java.time.Duration;
import java.util.UUID;

import org.awaitility.Awaitility;

import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Time as a Redis server sees it. Redis expires keys by its own clock, so a test that waits out a
 * TTL asks Redis, by polling, rather than sleeping a guessed amount.
 */
public final class RedisTime {

	private static final Duration POLL = Duration.ofMillis(10);

	private RedisTime() {
	}

	/**
	 * Returns once {@code duration} has passed for the server: a probe key written now with that TTL
	 * is gone, so every key written before with a TTL of at most {@code duration} is gone too.
	 */
	public static void elapse(StringRedisTemplate redis, Duration duration) {
		String probe = "test:clock-probe:" + UUID.randomUUID();
		redis.opsForValue().set(probe, "1", duration);
		Awaitility.await("Redis expires a key with a TTL of " + duration)
			.atMost(duration.plusSeconds(10))
			.pollDelay(Duration.ZERO)
			.pollInterval(POLL)
			.until(() -> !Boolean.TRUE.equals(redis.hasKey(probe)));
	}

}
