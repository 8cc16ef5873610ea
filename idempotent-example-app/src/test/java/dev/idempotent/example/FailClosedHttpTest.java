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

import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fail closed: with Redis cut off or hanging (a real TCP proxy between the service and a real
 * Redis), or answering with a script error, orders are refused with 503 and none is created; once
 * Redis is back, the next request runs. An order whose completion cannot be recorded still answers.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class FailClosedHttpTest {

	private static final TcpProxy proxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	private static final String PREFIX = "fail-closed-test-" + UUID.randomUUID() + ":";

	private static final String ORDER = "{\"sku\":\"book\",\"quantity\":1}";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", proxy::port);
		registry.add("spring.data.redis.timeout", () -> "2s");
		registry.add("idempotent.key-prefix", () -> PREFIX);
		// A failed completion is retried in the background until the lease lapses: a short lease ends the
		// test that waits for that sooner.
		registry.add("idempotent.lease", () -> "10s");
	}

	@LocalServerPort
	private int port;

	@Autowired
	private StringRedisTemplate redis;

	@AfterAll
	static void closeProxy() {
		proxy.close();
	}

	@Test
	void redisUnreachableIs503AndRunsNothingThenTheNextRequestWorks(CapturedOutput output) {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		assertThat(http.post("alice", "/orders", UUID.randomUUID().toString(), ORDER).statusCode()).isEqualTo(201);
		int before = http.count("alice", "/orders");
		String key = UUID.randomUUID().toString();

		proxy.cut();
		try {
			for (int attempt = 0; attempt < 2; attempt++) {
				HttpResponse<String> refused = http.post("alice", "/orders", key, ORDER);
				assertThat(refused.statusCode()).isEqualTo(503);
				assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
				assertThat(refused.headers().firstValue("Retry-After")).isPresent();
				assertThat(json(refused).get("type").asString())
					.isEqualTo("urn:idempotent:problem:storage-unavailable");
				assertThat(refused.body()).doesNotContain("127.0.0.1").doesNotContain("Exception");
			}
			assertThat(http.count("alice", "/orders")).as("no order created while Redis is unreachable")
				.isEqualTo(before);
			assertThat(output).as("one WARN line per refused request, naming the cause")
				.containsPattern("WARN .*answered 503 without running POST /orders: \\S+Exception");
		}
		finally {
			proxy.restore();
		}

		HttpResponse<String> retry = http.post("alice", "/orders", key, ORDER);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void redisHangingPastTheTimeoutIs503AndRunsNothing() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		assertThat(http.post("alice", "/orders", UUID.randomUUID().toString(), ORDER).statusCode()).isEqualTo(201);
		int before = http.count("alice", "/orders");

		proxy.pause();
		try {
			HttpResponse<String> refused = http.post("alice", "/orders", UUID.randomUUID().toString(), ORDER);
			assertThat(refused.statusCode()).isEqualTo(503);
			assertThat(json(refused).get("type").asString()).isEqualTo("urn:idempotent:problem:storage-unavailable");
			assertThat(http.count("alice", "/orders")).isEqualTo(before);
		}
		finally {
			proxy.resume();
		}
		// A claim sent before the timeout may still land once Redis answers: that key then waits for
		// its lease, so the next request here uses a key of its own.
		assertThat(http.post("alice", "/orders", UUID.randomUUID().toString(), ORDER).statusCode()).isEqualTo(201);
		assertThat(http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void completionFailingAfterTheOrderRanStillAnswersItAndLogsTheKey(CapturedOutput output) throws Exception {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		int before = http.count("alice", "/orders");
		String key = UUID.randomUUID().toString();
		String storageKey = new IdempotencyKeys(PREFIX, 255).storageKey("orders", "alice", key);
		CompletableFuture<HttpResponse<String>> response = CompletableFuture.supplyAsync(() -> http.post("alice",
				"/orders", key, "{\"sku\":\"book\",\"quantity\":1,\"processingMillis\":3000}"));
		Poll.until("the order claims its key", () -> Boolean.TRUE.equals(this.redis.hasKey(storageKey)));
		// The order is running: Redis goes away before it can be recorded as completed, and stays away
		// until the completion has been retried, in the background, for the whole lease.
		proxy.cut();
		HttpResponse<String> created;
		try {
			created = response.get(60, TimeUnit.SECONDS);
			assertThat(created.statusCode()).as("answered without waiting for Redis").isEqualTo(201);
			assertThat(output).contains("Could not store the outcome")
				.contains("retrying in the background")
				.doesNotContain("outcome could not be stored");
			Poll.until("the retries give up when the lease is over",
					() -> output.getAll().contains("outcome could not be stored"));
		}
		finally {
			proxy.restore();
		}
		assertThat(json(created).get("sku").asString()).isEqualTo("book");
		assertThat(output).contains("ERROR")
			.contains("operation=orders")
			.contains("key=" + key);
		assertThat(http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void redisScriptErrorIs503AndRunsNothing() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		int before = http.count("alice", "/orders");
		String key = UUID.randomUUID().toString();
		String storageKey = new IdempotencyKeys(PREFIX, 255).storageKey("orders", "alice", key);
		this.redis.opsForValue().set(storageKey, "not an idempotency record", Duration.ofMinutes(1));

		HttpResponse<String> refused = http.post("alice", "/orders", key, ORDER);
		assertThat(refused.statusCode()).isEqualTo(503);
		assertThat(json(refused).get("type").asString()).isEqualTo("urn:idempotent:problem:storage-unavailable");
		assertThat(refused.body()).doesNotContain("WRONGTYPE");
		assertThat(http.count("alice", "/orders")).isEqualTo(before);
		assertThat(this.redis.opsForValue().get(storageKey)).isEqualTo("not an idempotency record");
	}

}
