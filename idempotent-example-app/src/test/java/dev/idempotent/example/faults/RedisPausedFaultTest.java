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
import java.util.List;
import java.util.Map;

import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis hanging under load, well past the command timeout (every byte between the service and Redis
 * held, as with a server stopped in a debugger or swapped out): each request is refused with 503
 * within the timeout and a margin, and no order runs. Claims sent before the timeout reach Redis once
 * it resumes; their keys then answer 409 until the claim's lease lapses, and no order runs twice.
 */
class RedisPausedFaultTest extends RedisFaultTests {

	@Test
	void refusesEachRequestWithinTheTimeoutWhileRedisHangsAndRunsNothingTwiceAfter() throws Exception {
		Duration bound = REDIS_TIMEOUT.plus(MARGIN);
		try (OrderLoad load = load("redis-paused", 20)) {
			load.start();
			// Long enough that a request waiting for Redis to resume could not pass for one answered in time.
			Fault fault = inject(load, bound.plus(PHASE), proxy::pause, proxy::resume);

			assertRefusedThroughout(fault);
			assertThat(load.attempts((attempt) -> attempt.start() - fault.injectedAt() >= 0
					&& fault.healingAt() - attempt.start() >= bound.toNanos()))
				.as("requests sent while Redis hung, at least %s before it resumed", bound)
				.hasSizeGreaterThanOrEqualTo(THREADS)
				.allSatisfy((attempt) -> assertThat(attempt.latency())
					.as("answered within the timeout and a margin: %s", attempt)
					.isLessThanOrEqualTo(bound));
			Tally tally = load.verify(Map.of(0, load.ordersOn(http())));
			List<Duration> latencies = fault.answeredDuring().stream().map(Attempt::latency).sorted().toList();
			long claimsLanded = load
				.attempts((attempt) -> attempt.start() - fault.healedAt() >= 0 && attempt.isInProgress())
				.stream()
				.map(Attempt::key)
				.distinct()
				.count();
			tally.report(String.format("Redis hung %d ms (timeout %d ms): %d requests answered 503 in that time, "
					+ "in %d ms (median) to %d ms (slowest), 0 orders run; %d keys answered 409 after Redis resumed",
					fault.duration().toMillis(), REDIS_TIMEOUT.toMillis(), latencies.size(),
					latencies.get(latencies.size() / 2).toMillis(), latencies.get(latencies.size() - 1).toMillis(),
					claimsLanded));
		}
	}

}
