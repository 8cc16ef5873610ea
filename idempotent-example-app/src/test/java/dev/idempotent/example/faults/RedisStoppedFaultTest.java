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
package dev.idempotent.example.faults;

import java.time.Duration;
import java.util.Map;

import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis killed under load, then started again: while it is down every request is refused with 503
 * and no order runs; once it answers again, orders run again without restarting the service; no order
 * runs twice and none answered 201 is lost.
 */
class RedisStoppedFaultTest extends RedisFaultTests {

	// Lettuce reconnects at most 250 ms apart (the example's back-off): a generous bound on recovery.
	private static final Duration RECOVERY = Duration.ofSeconds(5);

	@Test
	void refusesEveryRequestWhileRedisIsDownAndRecoversWhenItReturns() throws Exception {
		try (OrderLoad load = load("redis-stopped", 20)) {
			load.start();
			Fault fault = inject(load, PHASE, () -> redis.stop(redis.port()), () -> redis.restart(redis.port()));

			assertRefusedThroughout(fault);
			Duration recovery = Duration.ofNanos(load
				.attempts((attempt) -> attempt.start() - fault.healedAt() >= 0 && attempt.isFresh())
				.stream()
				.mapToLong(Attempt::end)
				.min()
				.orElseThrow() - fault.healedAt());
			assertThat(recovery).as("time from Redis answering again to the first order run").isLessThan(RECOVERY);
			Tally tally = load.verify(Map.of(0, load.ordersOn(http())));
			tally.report(String.format("Redis down %d ms: %d requests answered 503 in that time, 0 orders run; "
					+ "first order run %d ms after Redis answered again", fault.duration().toMillis(),
					fault.answeredDuring().size(), recovery.toMillis()));
		}
	}

}
