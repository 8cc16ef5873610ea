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

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.idempotent.core.store.RecordState;
import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis runs out of memory under load ({@code maxmemory} below what it holds, {@code noeviction}) while
 * orders are running: it refuses every new claim, so requests get 503 and nothing runs, and it has no
 * room for the running orders' outcomes, so those are completed without them. Each such caller still
 * gets its order (201, run once); a retry of its key is refused with 409 replay-unavailable, never run
 * again, during the fault and after it.
 */
class RedisOutOfMemoryFaultTest extends RedisFaultTests {

	private static final int RUNNING = 3;

	@Autowired
	private StringRedisTemplate redisTemplate;

	@Test
	void completionsRedisHasNoRoomForAreKeptWithoutTheirOutcomeAndNeverRunAgain() throws Exception {
		try (OrderLoad load = load("out-of-memory", 300)) {
			load.start();
			load.awaitAnswers("the load runs", PHASE, 5 * THREADS, (attempt) -> true);
			Poll.until("at least " + RUNNING + " orders are running", () -> running(load, 0).size() >= RUNNING);
			long used = Long.parseLong(info().getProperty("used_memory"));
			Fault fault;
			try {
				fault = inject(load, PHASE, () -> maxMemory(used / 2), () -> maxMemory(0));
			}
			finally {
				maxMemory(0);
			}
			assertThat(fault.executedAtEnd()).as("orders run while Redis was full").isEqualTo(fault.executedAtStart());
			assertThat(fault.answeredDuring().stream().filter((attempt) -> !attempt.replayed()
					&& attempt.status() == 201)).as("new orders answered while Redis was full").isEmpty();

			List<String> keptWithoutOutcome = load.attempts(Attempt::isFresh)
				.stream()
				.map(Attempt::key)
				.filter((key) -> idempotence().find("orders", OrderLoad.USER, key)
					.filter((record) -> record.state() == RecordState.COMPLETED && record.outcome() == null)
					.isPresent())
				.toList();
			assertThat(keptWithoutOutcome).as("orders Redis had no room to complete with their outcome")
				.isNotEmpty();
			int before = load.executionsOn(http());
			ExampleHttpClient http = http();
			for (String key : keptWithoutOutcome) {
				HttpResponse<String> retry = http.post(OrderLoad.USER, "/orders", key,
						"{\"sku\":\"" + key + "\",\"quantity\":1,\"processingMillis\":300}");
				assertThat(retry.statusCode()).as("a retry of %s", key).isEqualTo(409);
				assertThat(ExampleHttpClient.json(retry).get("type").asString())
					.isEqualTo(Attempt.REPLAY_UNAVAILABLE);
			}
			assertThat(load.executionsOn(http())).as("retries run nothing").isEqualTo(before);
			Tally tally = load.verify(Map.of(0, load.ordersOn(http())));
			tally.report(String.format("Redis out of memory for %d ms with %d or more orders running: every new "
					+ "order refused (503), %d orders completed without their outcome, each answered 201 once and "
					+ "its retries 409 replay-unavailable, 0 run again", fault.duration().toMillis(), RUNNING,
					keptWithoutOutcome.size()));
		}
	}

	private Properties info() {
		return this.redisTemplate.execute((RedisCallback<Properties>) (connection) -> connection.serverCommands()
			.info("memory"));
	}

	private void maxMemory(long bytes) {
		this.redisTemplate.execute((RedisCallback<Void>) (connection) -> {
			connection.serverCommands().setConfig("maxmemory", Long.toString(bytes));
			return null;
		});
	}

}
