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
import java.util.UUID;

import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.example.ExampleHttpClient;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fault-injection suite: each subclass injects one fault while {@value #THREADS} clients keep
 * placing orders, then checks every answer against the orders the service holds. The example runs on
 * a real server (random port) against a {@code redis-server} of the suite's own, never a Redis other
 * tests share, reached through a {@link TcpProxy} the tests can cut or pause. That Redis writes every
 * record to its append-only file before acknowledging it ({@code appendfsync always}), so when it is
 * killed and started again it comes back with every record it acknowledged.
 * <p>
 * Every subclass has the same configuration, so they share one application context (and one Redis).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
abstract class RedisFaultTests {

	/** How many clients send at once. */
	static final int THREADS = 8;

	/** How long each phase of a fault (before, during, after) keeps the load on, at least. */
	static final Duration PHASE = Duration.ofMillis(1500);

	/** How long the service waits for Redis before it answers 503. */
	static final Duration REDIS_TIMEOUT = Duration.ofMillis(500);

	/**
	 * Latitude on top of {@link #REDIS_TIMEOUT} for a busy machine: a correctness bound (no request
	 * waits for Redis to come back), not a benchmark. Two shared cores under heavy load have been seen
	 * to stretch a 500 ms refusal to nearly 4 s.
	 */
	static final Duration MARGIN = Duration.ofSeconds(5);

	static final String PREFIX = "faults-" + UUID.randomUUID() + ":";

	static final RedisProcesses.Standalone redis = new RedisProcesses.Standalone("--appendonly", "yes",
			"--appendfsync", "always");

	static final TcpProxy proxy = new TcpProxy("127.0.0.1", redis.port());

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", proxy::port);
		registry.add("spring.data.redis.timeout", REDIS_TIMEOUT::toString);
		registry.add("spring.data.redis.connect-timeout", REDIS_TIMEOUT::toString);
		registry.add("idempotent.key-prefix", () -> PREFIX);
	}

	@LocalServerPort
	private int port;

	@Autowired
	private IdempotenceService idempotence;

	/** The service's own view of its records. */
	IdempotenceService idempotence() {
		return this.idempotence;
	}

	/** A client of the service under test. */
	ExampleHttpClient http() {
		return new ExampleHttpClient(this.port);
	}

	/** A load on the service under test, each order working this long. */
	OrderLoad load(String fault, long processingMillis) {
		return new OrderLoad(fault, THREADS, processingMillis, List.of(http()));
	}

	/**
	 * Takes a started load through a fault: lets it run for a {@link #PHASE}; injects the fault; waits
	 * until every request sent before is answered; keeps the fault for at least {@code lasting} and
	 * three answers a client; heals it; lets orders run again for a phase; stops the load. Counts the
	 * service's orders when the fault has settled and when it is about to heal.
	 */
	Fault inject(OrderLoad load, Duration lasting, Step fault, Step heal) throws Exception {
		load.awaitAnswers("the load runs", PHASE, 5 * THREADS, (attempt) -> true);
		fault.run();
		long injectedAt = System.nanoTime();
		load.awaitAnsweredBefore(injectedAt);
		long settledAt = System.nanoTime();
		int executedAtStart = load.executionsOn(http());
		load.awaitAnswers("requests sent during the fault are answered", lasting, 3 * THREADS,
				(attempt) -> attempt.start() - settledAt >= 0);
		int executedAtEnd = load.executionsOn(http());
		long healingAt = System.nanoTime();
		heal.run();
		long healedAt = System.nanoTime();
		load.awaitAnswers("orders run again", PHASE, 5 * THREADS,
				(attempt) -> attempt.start() - healedAt >= 0 && attempt.isFresh());
		load.stop();
		return new Fault(load, injectedAt, healingAt, healedAt, executedAtStart, executedAtEnd);
	}

	/** Asserts that every request sent and answered during the fault was refused, and no order ran. */
	static void assertRefusedThroughout(Fault fault) {
		assertThat(fault.answeredDuring()).as("requests sent and answered during the fault")
			.hasSizeGreaterThanOrEqualTo(3 * THREADS)
			.allSatisfy((attempt) -> assertThat(attempt.isRefused()).as("503 storage unavailable: %s", attempt)
				.isTrue());
		assertThat(fault.executedAtEnd()).as("orders run during the fault").isEqualTo(fault.executedAtStart());
	}

	/** The keys of the load's requests on their way to a target whose claims are held: orders running. */
	List<String> running(OrderLoad load, int target) {
		return load.inFlight(target).stream().map(Attempt::key).filter(this::claimed).toList();
	}

	private boolean claimed(String key) {
		try {
			return this.idempotence.find("orders", OrderLoad.USER, key)
				.filter((record) -> record.state() == RecordState.IN_PROGRESS)
				.isPresent();
		}
		catch (IdempotencyStorageUnavailableException ex) {
			return false; // Redis slower than the timeout on a busy machine: not known to be running.
		}
	}

	/** Injects or heals a fault. */
	@FunctionalInterface
	interface Step {

		void run() throws Exception;

	}

	/**
	 * When a fault was injected and healed, on {@link System#nanoTime()}'s scale.
	 *
	 * @param load the load it ran under
	 * @param injectedAt when the fault was in place
	 * @param healingAt when it was about to be healed
	 * @param healedAt when it was healed
	 * @param executedAtStart the orders the service held once the fault had settled
	 * @param executedAtEnd the orders it held when the fault was about to be healed
	 */
	record Fault(OrderLoad load, long injectedAt, long healingAt, long healedAt, int executedAtStart,
			int executedAtEnd) {

		/** The requests sent after the fault was injected and answered before it was healed. */
		List<Attempt> answeredDuring() {
			return this.load
				.attempts((attempt) -> attempt.start() - this.injectedAt >= 0 && attempt.end() - this.healingAt <= 0);
		}

		Duration duration() {
			return Duration.ofNanos(this.healingAt - this.injectedAt);
		}

	}

}
