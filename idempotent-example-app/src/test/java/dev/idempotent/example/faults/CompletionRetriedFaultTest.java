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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.idempotent.core.store.RecordState;
import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis killed under load while orders are running, then started again well within their lease: the
 * completions that failed are retried in the background, backing off, while the lease holds, and are
 * stored once Redis answers. Each such caller gets its order (201, run once) at once, without waiting
 * for Redis; a retry of its key is a replay, never a second run; nothing is counted as
 * {@code completion_failed}.
 */
@ExtendWith(OutputCaptureExtension.class)
class CompletionRetriedFaultTest extends RedisFaultTests {

	private static final Pattern RETRYING = Pattern
		.compile("WARN.*Could not store the outcome.*retrying.*\\[operation=orders, key=(completion-retried-[^,\\]]+)");

	private static final int RUNNING = 3;

	@Test
	void completionsThatFailWhileRedisIsDownAreStoredOnceItIsBack(CapturedOutput output) throws Exception {
		double failuresBefore = completionFailuresCounted();
		try (OrderLoad load = load("completion-retried", 300)) {
			load.start();
			load.awaitAnswers("the load runs", PHASE, 5 * THREADS, (attempt) -> true);
			Poll.until("at least " + RUNNING + " orders are running", () -> running(load, 0).size() >= RUNNING);
			long injectedAt = System.nanoTime();
			redis.stop(redis.port());
			Poll.until("a running order's completion fails and is retried", () -> !retried(output).isEmpty());
			load.awaitAnswers("requests sent while Redis is down are refused", PHASE, 3 * THREADS,
					(attempt) -> attempt.start() - injectedAt >= 0 && attempt.isRefused());
			long healingAt = System.nanoTime();
			redis.restart(redis.port());
			long healedAt = System.nanoTime();
			load.awaitAnswers("orders run again", PHASE, 5 * THREADS,
					(attempt) -> attempt.start() - healedAt >= 0 && attempt.isFresh());
			load.stop();

			Set<String> retried = retried(output);
			Map<String, List<Attempt>> answers = load.attempts((attempt) -> retried.contains(attempt.key()))
				.stream()
				.collect(Collectors.groupingBy(Attempt::key));
			assertThat(answers.keySet()).as("keys whose completion was retried, all sent by the load")
				.isEqualTo(retried);
			answers.forEach((key, attempts) -> assertThat(attempts)
				.as("the caller of %s got its order without waiting for Redis", key)
				.anySatisfy((attempt) -> {
					assertThat(attempt.isFresh()).isTrue();
					assertThat(attempt.end() - healingAt).as("answered while Redis was down").isNegative();
				}));
			Poll.until("the retried completions are stored now that Redis is back", () -> retried.stream()
				.allMatch((key) -> idempotence().find("orders", OrderLoad.USER, key)
					.filter((record) -> record.state() == RecordState.COMPLETED)
					.isPresent()));
			for (String key : retried) {
				assertThat(idempotence().find("orders", OrderLoad.USER, key)).as(key)
					.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
				HttpResponse<String> retry = http().post(OrderLoad.USER, "/orders", key,
						"{\"sku\":\"" + key + "\",\"quantity\":1,\"processingMillis\":300}");
				assertThat(retry.statusCode()).isEqualTo(201);
				assertThat(retry.headers().firstValue("Idempotent-Replayed")).as("a retry of %s", key).hasValue("true");
			}
			assertThat(completionFailuresCounted() - failuresBefore).as("completion_failed").isZero();
			assertThat(output.getAll()).doesNotContain("outcome could not be stored");
			Tally tally = load.verify(Map.of(0, load.ordersOn(http())));
			tally.report(String.format("Redis killed for %d ms with %d or more orders running: %d completions "
					+ "failed, were answered 201 at once and stored once it was back, 0 completion_failed",
					(healingAt - injectedAt) / 1_000_000, RUNNING, retried.size()));
		}
	}

	private double completionFailuresCounted() {
		return http().metricCount("idempotency.requests", "operation:orders", "outcome:completion_failed");
	}

	private static Set<String> retried(CapturedOutput output) {
		Matcher matcher = RETRYING.matcher(output.getAll());
		Set<String> keys = new HashSet<>();
		while (matcher.find()) {
			keys.add(matcher.group(1));
		}
		return keys;
	}

}
