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
package dev.idempotent.spring.transaction;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.servers.HttpExchange;
import dev.idempotent.test.servers.TestDatabase;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Commits that fail under load: 8 clients place orders through an {@code @Idempotent @Transactional}
 * endpoint on PostgreSQL, with the claims in Redis. For about one order in four, a conflicting row is
 * committed first, so the order's commit fails (a deferred constraint). Its client retries at once
 * with the same key while the conflict is still there, which must run again and fail again, never
 * replay the success of the rolled-back work; then the conflict is cleared, the retry runs and
 * commits, and a further retry is a replay of that order. Over a real HTTP server.
 */
@SpringBootTest(classes = CommitFailsUnderLoadTest.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "idempotent.store.type=redis", "idempotent.store.timeout=500ms" })
class CommitFailsUnderLoadTest {

	private static final Logger logger = LoggerFactory.getLogger(CommitFailsUnderLoadTest.class);

	private static final String PREFIX = "tx-load-" + UUID.randomUUID() + ":";

	// Order ids of this run: the table outlives it.
	private static final String RUN = "o-" + UUID.randomUUID().toString().substring(0, 8) + "-";

	private static final int CLIENTS = 8;

	private static final int ORDERS_PER_CLIENT = 25;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("spring.datasource.url", TestDatabase.POSTGRESQL::url);
		registry.add("idempotent.key-prefix", () -> PREFIX);
	}

	private final HttpClient client = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private JdbcTemplate jdbc;

	@BeforeEach
	void createTable() {
		// Checked at commit, not at the insert: a call whose order id is already taken fails to commit.
		this.jdbc.execute("CREATE TABLE IF NOT EXISTS tx_load_orders (order_id VARCHAR(80) NOT NULL, "
				+ "placed_by VARCHAR(16) NOT NULL, "
				+ "CONSTRAINT tx_load_orders_once UNIQUE (order_id) DEFERRABLE INITIALLY DEFERRED)");
	}

	@Test
	void noRolledBackOrderIsReplayedAndNoOrderRunsAfterItCommitted() throws Exception {
		Tally tally = new Tally();
		long started = System.nanoTime();
		ConcurrentCallers.race(CLIENTS, () -> {
			for (int i = 0; i < ORDERS_PER_CLIENT; i++) {
				placeOne(tally, ThreadLocalRandom.current().nextInt(4) == 0);
			}
			return null;
		});
		long elapsedMillis = Duration.ofNanos(System.nanoTime() - started).toMillis();

		int keys = CLIENTS * ORDERS_PER_CLIENT;
		Integer placed = this.jdbc.queryForObject(
				"SELECT COUNT(*) FROM tx_load_orders WHERE placed_by = 'call' AND order_id LIKE ?", Integer.class,
				RUN + "%");
		assertThat(placed).as("every order committed once").isEqualTo(keys);
		assertThat(tally.commitsFailed.get()).as("commits that failed").isPositive();
		assertThat(tally.replayedRolledBack.get()).as("rolled-back successes replayed").isZero();
		assertThat(App.Orders.ranAfterCommit).as("orders run again after they committed").isEmpty();
		assertThat(tally.unexpected).as("answers outside the contract").isEmpty();
		String line = String.format("Commit fails: %d ms, %d requests (%d keys), %d executions, %d commits failed, "
				+ "201 new %d, 201 replayed %d, 500 %d, 409 %d, replayed a rolled-back success %d, run twice %d",
				elapsedMillis, tally.requests.get(), keys, App.Orders.executions.get(), tally.commitsFailed.get(),
				tally.fresh.get(), tally.replayed.get(), tally.failed.get(), tally.inProgress.get(),
				tally.replayedRolledBack.get(), App.Orders.ranAfterCommit.size());
		logger.info("Fault injection: {}", line);
		Path report = Path.of("target", "fault-injection.txt");
		Files.writeString(report, line + System.lineSeparator(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
				StandardOpenOption.APPEND);
	}

	private void placeOne(Tally tally, boolean conflict) {
		String orderId = RUN + UUID.randomUUID();
		String key = UUID.randomUUID().toString();
		if (conflict) {
			this.jdbc.update("INSERT INTO tx_load_orders (order_id, placed_by) VALUES (?, 'conflict')", orderId);
			// The commit fails, and so does a retry while the conflicting row stands.
			for (int attempt = 0; attempt < 2; attempt++) {
				HttpResponse<String> answer = placeUntilAnswered(tally, key, orderId);
				if (answer.statusCode() == 500) {
					tally.commitsFailed.incrementAndGet();
				}
				else if (answer.statusCode() == 201) {
					tally.replayedRolledBack.incrementAndGet();
				}
				else {
					tally.unexpected.add(key + " answered " + answer.statusCode() + " while its commit must fail");
				}
			}
			this.jdbc.update("DELETE FROM tx_load_orders WHERE order_id = ? AND placed_by = 'conflict'", orderId);
		}
		HttpResponse<String> created = placeUntilAnswered(tally, key, orderId);
		if (created.statusCode() != 201 || created.headers().firstValue("Idempotent-Replayed").isPresent()) {
			tally.unexpected.add(key + " answered " + created.statusCode() + " " + created.headers().map()
					+ " where it should run and commit");
			return;
		}
		HttpResponse<String> retry = placeUntilAnswered(tally, key, orderId);
		if (retry.statusCode() != 201 || !retry.headers().firstValue("Idempotent-Replayed").equals(Optional.of("true"))
				|| !retry.body().equals(created.body())) {
			tally.unexpected.add(key + " answered " + retry.statusCode() + " " + retry.body()
					+ " where its committed order should be replayed");
		}
	}

	// A 409 in progress is waited out as a client would: the first call's rollback is still releasing.
	private HttpResponse<String> placeUntilAnswered(Tally tally, String key, String orderId) {
		while (true) {
			HttpResponse<String> answer = place(key, orderId);
			tally.requests.incrementAndGet();
			switch (answer.statusCode()) {
				case 201 -> {
					if (answer.headers().firstValue("Idempotent-Replayed").isPresent()) {
						tally.replayed.incrementAndGet();
					}
					else {
						tally.fresh.incrementAndGet();
					}
				}
				case 500 -> tally.failed.incrementAndGet();
				case 409 -> {
					tally.inProgress.incrementAndGet();
					awaitRetryAfter(answer);
					continue;
				}
				default -> tally.unexpected.add(key + " answered " + answer.statusCode() + ": " + answer.body());
			}
			return answer;
		}
	}

	private static void awaitRetryAfter(HttpResponse<String> answer) {
		long seconds = answer.headers().firstValue("Retry-After").map(Long::parseLong).orElse(1L);
		try {
			Thread.sleep(Duration.ofSeconds(seconds).toMillis()); // What the server asked the client to wait.
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private HttpResponse<String> place(String key, String orderId) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/tx-load-orders"))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", key)
			.POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"" + orderId + "\"}"))
			.build();
		return HttpExchange.send(this.client, request);
	}

	private static final class Tally {

		final AtomicInteger requests = new AtomicInteger();

		final AtomicInteger fresh = new AtomicInteger();

		final AtomicInteger replayed = new AtomicInteger();

		final AtomicInteger failed = new AtomicInteger();

		final AtomicInteger inProgress = new AtomicInteger();

		final AtomicInteger commitsFailed = new AtomicInteger();

		final AtomicInteger replayedRolledBack = new AtomicInteger();

		final Set<String> unexpected = ConcurrentHashMap.newKeySet();

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@RestController
		static class Orders {

			// Static: the transactional proxy's own fields are not the controller's.
			static final AtomicInteger executions = new AtomicInteger();

			static final Set<String> committed = ConcurrentHashMap.newKeySet();

			static final Set<String> ranAfterCommit = ConcurrentHashMap.newKeySet();

			private final JdbcTemplate jdbc;

			Orders(JdbcTemplate jdbc) {
				this.jdbc = jdbc;
			}

			@PostMapping("/tx-load-orders")
			@Idempotent(name = "tx-load-orders", lease = "3s")
			@Transactional
			public ResponseEntity<Map<String, Object>> place(@RequestBody Map<String, String> order) {
				String orderId = order.get("orderId");
				int execution = executions.incrementAndGet();
				if (committed.contains(orderId)) {
					ranAfterCommit.add(orderId);
				}
				this.jdbc.update("INSERT INTO tx_load_orders (order_id, placed_by) VALUES (?, 'call')", orderId);
				TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

					@Override
					public void afterCommit() {
						committed.add(orderId);
					}

				});
				return ResponseEntity.status(HttpStatus.CREATED).body(Map.of("orderId", orderId, "execution", execution));
			}

		}

	}

}
