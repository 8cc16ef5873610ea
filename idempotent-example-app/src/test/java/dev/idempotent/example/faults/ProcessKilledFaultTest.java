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

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import dev.idempotent.example.ExampleProcess;
import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An instance of the service killed under load in the middle of orders. Two instances share one
 * Redis and take the load in turn; one of them, a JVM of its own with a {@value #LEASE} lease, is
 * killed (SIGKILL) while orders run on it. Its clients' connections break and they retry on the other
 * instance: a key whose order was running there is refused (409) until the dead claim's lease lapses,
 * then runs once; a key the killed instance completed is replayed, never run again.
 */
class ProcessKilledFaultTest extends RedisFaultTests {

	private static final String LEASE = "3s";

	private static final int KILLED = 0;

	private static final int SURVIVOR = 1;

	private static final int RUNNING = 2;

	@Test
	void ordersRunningOnAKilledInstanceRunOnceOnTheOtherAfterTheLease() throws Exception {
		try (ExampleProcess doomed = ExampleProcess.start("process-killed-fault-instance",
				"--spring.data.redis.host=127.0.0.1", "--spring.data.redis.port=" + redis.port(),
				"--spring.data.redis.timeout=" + REDIS_TIMEOUT, "--idempotent.key-prefix=" + PREFIX,
				"--idempotent.lease=" + LEASE);
				OrderLoad load = new OrderLoad("process-killed", THREADS, 1500, List.of(doomed.http(), http()))) {
			load.start();
			load.awaitAnswers("both instances run orders", PHASE, THREADS,
					(attempt) -> attempt.target() == KILLED && attempt.isFresh());
			AtomicReference<List<String>> running = new AtomicReference<>();
			Poll.until("at least " + RUNNING + " orders are running on the instance to be killed", () -> {
				running.set(running(load, KILLED));
				return running.get().size() >= RUNNING;
			});

			doomed.kill();
			long killedAt = System.nanoTime();
			load.stopSendingTo(KILLED);
			Poll.until("every order whose connection broke is answered 201 by the other instance",
					() -> load.attempts((attempt) -> attempt.target() == SURVIVOR && attempt.status() == 201)
						.stream()
						.map(Attempt::key)
						.collect(Collectors.toSet())
						.containsAll(brokenKeys(load)));
			load.awaitAnswers("the load runs on", PHASE, 2 * THREADS,
					(attempt) -> attempt.start() - killedAt >= 0 && attempt.isFresh());
			load.stop();

			Tally tally = load.verify(Map.of(SURVIVOR, load.ordersOn(http())));
			Set<String> broken = brokenKeys(load);
			List<String> killedMidCall = running.get().stream().filter(broken::contains).toList();
			Map<String, List<Attempt>> survivorAnswers = load
				.attempts((attempt) -> attempt.target() == SURVIVOR && killedMidCall.contains(attempt.key()))
				.stream()
				.sorted(Comparator.comparingLong(Attempt::start))
				.collect(Collectors.groupingBy(Attempt::key));
			assertThat(survivorAnswers.keySet()).as("orders killed mid-call, retried on the other instance")
				.containsExactlyInAnyOrderElementsOf(killedMidCall);
			survivorAnswers.forEach((key, answers) -> {
				int first = answers.indexOf(answers.stream().filter((answer) -> answer.status() == 201).findFirst()
					.orElseThrow());
				assertThat(answers.subList(0, first)).as("%s: refused while the dead claim lived", key)
					.allSatisfy((answer) -> assertThat(answer.isInProgress()).isTrue());
				assertThat(answers.subList(first + 1, answers.size())).as("%s: replayed once it ran", key)
					.allSatisfy((answer) -> assertThat(answer.isReplay()).isTrue());
			});
			// Run once on the survivor after waiting out the lease (rather than completed by the killed
			// instance just before it died, or retried after the lease had already lapsed).
			List<String> waited = survivorAnswers.entrySet()
				.stream()
				.filter((entry) -> entry.getValue().get(0).isInProgress()
						&& entry.getValue().stream().anyMatch(Attempt::isFresh))
				.map(Map.Entry::getKey)
				.toList();
			assertThat(waited).as("orders killed mid-call that waited for the lease, of %s", survivorAnswers)
				.isNotEmpty();
			tally.report(String.format("one of two instances killed (SIGKILL) with %d orders running on it, "
					+ "%d requests' connections broke; %d keys answered 409 until the %s lease lapsed, then ran "
					+ "once on the other instance", running.get().size(), tally.broken(), waited.size(), LEASE));
		}
	}

	private static Set<String> brokenKeys(OrderLoad load) {
		return load.attempts((attempt) -> attempt.status() == 0)
			.stream()
			.map(Attempt::key)
			.collect(Collectors.toSet());
	}

}
