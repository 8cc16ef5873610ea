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
package dev.idempotent.example;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TestRedis;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leases of 2 s. An order running three times as long keeps its claim, renewed while it runs. A
 * process killed in the middle of an order: two instances of the example share one Redis; the other
 * instance, a separate JVM, claims the key and is killed while the order runs; the retry here is
 * refused while the dead process's claim lives, then runs once its lease lapses, and exactly one order
 * exists.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class CrashRecoveryHttpTest {

	private static final String PREFIX = "crash-test-" + UUID.randomUUID() + ":";

	private static final String LEASE = "2s";

	private static final String ORDER = "{\"sku\":\"crash\",\"quantity\":1,\"processingMillis\":5000}";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, PREFIX);
		registry.add("idempotent.lease", () -> LEASE);
	}

	@LocalServerPort
	private int port;

	@Autowired
	private IdempotenceService idempotence;

	@Test
	void callKilledMidwayIsRetryableAfterTheLeaseAndRunsOnce() throws Exception {
		try (ExampleProcess other = ExampleProcess.start("crash-test-other-instance",
				"--spring.data.redis.host=" + TestRedis.endpoint().host(),
				"--spring.data.redis.port=" + TestRedis.endpoint().port(), "--idempotent.key-prefix=" + PREFIX,
				"--idempotent.lease=" + LEASE)) {
			ExampleHttpClient otherHttp = other.http();
			String key = UUID.randomUUID().toString();
			CompletableFuture.runAsync(() -> otherHttp.post("alice", "/orders", key, ORDER));
			awaitRunningFor("alice", key, Duration.ofSeconds(1));
			other.kill();

			ExampleHttpClient http = new ExampleHttpClient(this.port);
			int before = http.count("alice", "/orders");
			HttpResponse<String> refused = http.post("alice", "/orders", key, ORDER);
			assertThat(refused.statusCode()).as("the dead process's claim still lives").isEqualTo(409);
			assertThat(json(refused).get("type").asString()).isEqualTo("urn:idempotent:problem:request-in-progress");
			long retryAfter = Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
			assertThat(retryAfter).isBetween(1L, 2L);

			// A client honouring Retry-After: the claim lapses with its lease, and the retry runs.
			HttpResponse<String> retried = refused;
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
			while (retried.statusCode() == 409 && System.nanoTime() < deadline) {
				Thread.sleep(TimeUnit.SECONDS.toMillis(retryAfter));
				retried = http.post("alice", "/orders", key, ORDER);
			}
			assertThat(retried.statusCode()).isEqualTo(201);
			assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();
			HttpResponse<String> again = http.post("alice", "/orders", key, ORDER);
			assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
			assertThat(json(again)).isEqualTo(json(retried));
			assertThat(http.count("alice", "/orders")).as("exactly one order").isEqualTo(before + 1);
		}
	}

	@Test
	void orderRunningThreeTimesTheLeaseRunsOnce() throws Exception {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		String key = UUID.randomUUID().toString();
		String slow = "{\"sku\":\"slow\",\"quantity\":1,\"processingMillis\":6000}";
		int before = http.count("bob", "/orders");
		CompletableFuture<HttpResponse<String>> first = CompletableFuture
			.supplyAsync(() -> http.post("bob", "/orders", key, slow));
		awaitRunningFor("bob", key, Duration.ofMillis(5000));
		HttpResponse<String> duplicate = http.post("bob", "/orders", key, slow);
		assertThat(duplicate.statusCode()).as("still claimed after two and a half leases").isEqualTo(409);
		assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
		HttpResponse<String> replay = http.post("bob", "/orders", key, slow);
		assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(http.count("bob", "/orders")).isEqualTo(before + 1);
	}

	// Watches an order's claim, from the moment it appears, until the order has run that long.
	private void awaitRunningFor(String user, String key, Duration running) {
		Poll.until("the order claims its key", () -> this.idempotence.find("orders", user, key).isPresent());
		Poll.holdsFor("the running order keeps its claim", running, () -> this.idempotence.find("orders", user, key)
			.filter((record) -> record.state() == RecordState.IN_PROGRESS)
			.isPresent());
	}

}
