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
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.HttpExchange;
import dev.idempotent.test.servers.TestDatabase;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
 * A method that is {@code @Idempotent} and {@code @Transactional} on PostgreSQL, with its claim in
 * Redis: the claim is not part of the transaction, so it is completed only once the commit succeeded.
 * A commit that fails is never replayed as a success, and a duplicate that arrives while the commit
 * runs hears "in progress", not a success that may still roll back. Over a real HTTP server.
 */
@SpringBootTest(classes = CompletionAfterCommitHttpTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "idempotent.store.type=redis", "idempotent.store.timeout=300ms" })
class CompletionAfterCommitHttpTests {

	private static final String PREFIX = "tx-redis-" + UUID.randomUUID() + ":";

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

	@Autowired
	private IdempotenceService idempotence;

	private final String orderId = "o-" + UUID.randomUUID();

	private final String key = UUID.randomUUID().toString();

	@BeforeEach
	void createTable() {
		// Checked at commit, not at the insert: the commit of a second row with an order's id fails.
		this.jdbc.execute("CREATE TABLE IF NOT EXISTS tx_boundary_orders (order_id VARCHAR(80) NOT NULL, "
				+ "CONSTRAINT tx_boundary_orders_once UNIQUE (order_id) DEFERRABLE INITIALLY DEFERRED)");
	}

	@AfterEach
	void openTheGate() {
		App.Orders.commitGate.set(null);
	}

	@Test
	void aCommitThatFailsIsNeverReplayedAsASuccess() {
		// Another row with this order's id is already committed: this call's commit fails.
		this.jdbc.update("INSERT INTO tx_boundary_orders (order_id) VALUES (?)", this.orderId);
		int before = App.Orders.executions.get();
		HttpResponse<String> first = place(this.key, this.orderId);
		assertThat(first.statusCode()).as(first.body()).isEqualTo(500);
		assertThat(rows()).as("only the row that was there").isEqualTo(1);
		assertThat(record()).as("a rolled-back call leaves no record").isEmpty();

		this.jdbc.update("DELETE FROM tx_boundary_orders WHERE order_id = ?", this.orderId);
		HttpResponse<String> retry = place(this.key, this.orderId);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).as("the retry ran; nothing to replay").isEmpty();
		assertThat(App.Orders.executions.get() - before).isEqualTo(2);
		assertThat(rows()).isEqualTo(1);
		assertThat(record()).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
		HttpResponse<String> duplicate = place(this.key, this.orderId);
		assertThat(duplicate.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(duplicate.body()).isEqualTo(retry.body());
	}

	@Test
	void aDuplicateDuringASlowCommitIsToldInProgressAndTheLeaseOutlivesTheCommit() throws Exception {
		CountDownLatch gate = new CountDownLatch(1);
		App.Orders.waitingCommits.set(0);
		App.Orders.commitGate.set(gate);
		CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> place(this.key,
				this.orderId));
		Poll.until("the call returned and its commit waits", () -> App.Orders.waitingCommits.get() == 1);
		IdempotencyRecord claimed = record().orElseThrow();
		assertThat(claimed.state()).as("not completed before the commit").isEqualTo(RecordState.IN_PROGRESS);
		Instant firstExpiry = claimed.expiresAt();
		Poll.until("the lease is renewed while the commit waits",
				() -> record().orElseThrow().expiresAt().isAfter(firstExpiry.plusMillis(300)));

		HttpResponse<String> duringCommit = place(this.key, this.orderId);
		assertThat(duringCommit.statusCode()).as(duringCommit.body()).isEqualTo(409);
		assertThat(duringCommit.body()).contains("request-in-progress");
		assertThat(record()).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS));

		gate.countDown();
		assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
		HttpResponse<String> afterCommit = place(this.key, this.orderId);
		assertThat(afterCommit.statusCode()).isEqualTo(201);
		assertThat(afterCommit.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(rows()).isEqualTo(1);
	}

	private int rows() {
		Integer rows = this.jdbc.queryForObject("SELECT COUNT(*) FROM tx_boundary_orders WHERE order_id = ?",
				Integer.class, this.orderId);
		return (rows != null) ? rows : 0;
	}

	private Optional<IdempotencyRecord> record() {
		return this.idempotence.find("tx-orders", null, this.key);
	}

	private HttpResponse<String> place(String key, String orderId) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/tx-orders"))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", key)
			.POST(HttpRequest.BodyPublishers.ofString("{\"orderId\":\"" + orderId + "\"}"))
			.build();
		return HttpExchange.send(this.client, request);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@RestController
		static class Orders {

			// Static: the test holds the transactional proxy, whose own fields are not the controller's.
			static final AtomicInteger executions = new AtomicInteger();

			static final AtomicInteger waitingCommits = new AtomicInteger();

			static final AtomicReference<CountDownLatch> commitGate = new AtomicReference<>();

			private final JdbcTemplate jdbc;

			Orders(JdbcTemplate jdbc) {
				this.jdbc = jdbc;
			}

			@PostMapping("/tx-orders")
			@Idempotent(name = "tx-orders", lease = "3s")
			@Transactional
			public ResponseEntity<Map<String, Object>> place(@RequestBody Map<String, String> order) {
				int attempt = executions.incrementAndGet();
				this.jdbc.update("INSERT INTO tx_boundary_orders (order_id) VALUES (?)", order.get("orderId"));
				CountDownLatch gate = commitGate.get();
				if (gate != null) {
					TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

						@Override
						public void beforeCommit(boolean readOnly) {
							waitingCommits.incrementAndGet();
							try {
								gate.await(30, TimeUnit.SECONDS);
							}
							catch (InterruptedException ex) {
								Thread.currentThread().interrupt();
							}
						}

					});
				}
				return ResponseEntity.status(HttpStatus.CREATED)
					.body(Map.of("orderId", order.get("orderId"), "attempt", attempt));
			}

		}

	}

}
