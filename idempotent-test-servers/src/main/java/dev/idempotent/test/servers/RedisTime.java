package dev.idempotent.test.servers;

import java.time.Duration;
import java.util.UUID;

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
		long deadline = System.nanoTime() + duration.plusSeconds(10).toNanos();
		while (Boolean.TRUE.equals(redis.hasKey(probe))) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("Redis did not expire a key with a TTL of " + duration + " in time");
			}
			pause();
		}
	}

	private static void pause() {
		try {
			Thread.sleep(POLL.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
