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
package dev.idempotent.test.servers.example;

import java.net.http.HttpResponse;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import dev.idempotent.test.servers.example.ExampleHttpClient.RawResponse;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP contract every example service keeps (the servlet one and the WebFlux one), over real HTTP,
 * against a real Redis. A service's test extends this class, starts the service on a random port
 * ({@code @SpringBootTest(webEnvironment = RANDOM_PORT)}) and returns that port from {@link #port()}.
 * <p>
 * The service reaches the test Redis through a {@link TcpProxy}, so that a test can cut it off, and
 * writes its keys under a prefix of this run (both set here, through {@link DynamicPropertySource}:
 * {@code spring.data.redis.host}/{@code port} and {@code idempotent.key-prefix}). The test reads Redis
 * directly, past the proxy, to see what was stored. What a service must offer: the demo users
 * {@code alice} and {@code bob}; {@code POST /orders} ({@code @Idempotent(name = "orders")}, key in the
 * header, replayed), its body {@code {sku, quantity 1..1000, processingMillis}}; {@code GET /orders};
 * {@code POST /orders/batch} ({@code @Idempotent(name = "order-batches")}), its body
 * {@code {"items": [order, ...]}} or the bare array; {@code POST /payments} ({@code key = "#request.paymentId"}, scoped by the {@code X-Tenant} header,
 * duplicates rejected) and {@code GET /payments}.
 * <p>
 * One subclass per test JVM: the proxy is shared by the class and closed after it.
 */
public abstract class ExampleServiceContractTest {

	/** The prefix of every key the service under test writes. */
	protected static final String PREFIX = "example-contract-" + UUID.randomUUID() + ":";

	/** A valid order. */
	protected static final String ORDER = "{\"sku\":\"book\",\"quantity\":2}";

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	private static @Nullable LettuceConnectionFactory redisConnection;

	private static @Nullable StringRedisTemplate redis;

	/** A client of the service under test, made before each test. */
	protected ExampleHttpClient http;

	@DynamicPropertySource
	static void exampleServiceRedis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("idempotent.key-prefix", () -> PREFIX);
	}

	@BeforeAll
	static void connectToRedis() {
		TestRedis.Endpoint endpoint = TestRedis.endpoint();
		LettuceConnectionFactory connection = TestRedis
			.connect(new RedisStandaloneConfiguration(endpoint.host(), endpoint.port()));
		redisConnection = connection;
		redis = new StringRedisTemplate(connection);
	}

	@AfterAll
	static void disconnect() {
		if (redisConnection != null) {
			redisConnection.destroy();
		}
		redisProxy.close();
	}

	/** The port the service under test listens on. */
	protected abstract int port();

	@BeforeEach
	void client() {
		this.http = new ExampleHttpClient(port());
	}

	@Test
	void orderRetryReplaysTheSameStatusBodyAndLocation() {
		String key = newKey();
		int before = this.http.count("alice", "/orders");
		HttpResponse<String> first = this.http.post("alice", "/orders", key, ORDER);
		HttpResponse<String> retry = this.http.post("alice", "/orders", key, ORDER);

		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
		JsonNode order = json(first);
		assertThat(order.get("sku").asString()).isEqualTo("book");
		assertThat(order.get("quantity").asInt()).isEqualTo(2);
		assertThat(order.get("owner").asString()).isEqualTo("alice");
		assertThat(order.get("id").asString()).isNotBlank();

		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(retry)).isEqualTo(order);
		assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"))
			.hasValue("/orders/" + order.get("id").asString());
		assertThat(retry.headers().firstValue("Content-Type")).isEqualTo(first.headers().firstValue("Content-Type"));
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void sameKeyFromTwoUsersIsTwoOrders() {
		String key = newKey();
		HttpResponse<String> alice = this.http.post("alice", "/orders", key, ORDER);
		HttpResponse<String> bob = this.http.post("bob", "/orders", key, ORDER);
		assertThat(alice.statusCode()).isEqualTo(201);
		assertThat(bob.statusCode()).isEqualTo(201);
		assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(json(bob).get("owner").asString()).isEqualTo("bob");
		assertThat(json(bob).get("id")).isNotEqualTo(json(alice).get("id"));
	}

	@Test
	void duplicatePaymentIsRejectedWith409() {
		String payment = "{\"paymentId\":\"" + newKey() + "\",\"amount\":12.50}";
		int before = this.http.count("alice", "/payments");
		HttpResponse<String> first = this.http.post("alice", "/payments", null, payment);
		HttpResponse<String> duplicate = this.http.post("alice", "/payments", null, payment);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(json(first).get("amount").decimalValue()).isEqualByComparingTo("12.50");
		assertThat(duplicate.statusCode()).isEqualTo(409);
		assertThat(duplicate.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonNode problem = json(duplicate);
		assertThat(problem.get("type").asString()).isEqualTo("urn:idempotent:problem:duplicate-request");
		assertThat(problem.get("status").asInt()).isEqualTo(409);
		assertThat(this.http.count("alice", "/payments")).isEqualTo(before + 1);
	}

	@Test
	void paymentIdsAreScopedByTenant() {
		String payment = "{\"paymentId\":\"" + newKey() + "\",\"amount\":5}";
		int before = this.http.count("alice", "/payments");
		HttpResponse<String> inA = this.http.postWithHeader("alice", "/payments", "X-Tenant", "tenant-a", payment);
		HttpResponse<String> inB = this.http.postWithHeader("alice", "/payments", "X-Tenant", "tenant-b", payment);
		HttpResponse<String> againInA = this.http.postWithHeader("alice", "/payments", "X-Tenant", "tenant-a", payment);
		assertThat(inA.statusCode()).isEqualTo(201);
		assertThat(inB.statusCode()).as("the same id in another tenant is another payment").isEqualTo(201);
		assertThat(json(inB).get("tenant").asString()).isEqualTo("tenant-b");
		assertThat(againInA.statusCode()).isEqualTo(409);
		assertThat(json(againInA).get("type").asString()).isEqualTo("urn:idempotent:problem:duplicate-request");
		assertThat(this.http.count("alice", "/payments")).isEqualTo(before + 2);
	}

	@Test
	void badKeysAre400AndStoreNothing() {
		int ordersBefore = this.http.count("alice", "/orders");
		int recordsBefore = records();
		Map<String, String> badKeys = new LinkedHashMap<>();
		badKeys.put("empty", "");
		badKeys.put("256 characters", "k".repeat(256));
		badKeys.put("tab", "a\tb");
		badKeys.put("non-ASCII", "caf\u00e9");
		badKeys.put("unterminated quoted string", "\"" + newKey());
		badKeys.put("text after a quoted string", "\"" + newKey() + "\"x");
		// Which of two keys the client meant cannot be told: neither is taken.
		badKeys.put("two Idempotency-Key headers", newKey() + "\r\nIdempotency-Key: " + newKey());
		for (Map.Entry<String, String> bad : badKeys.entrySet()) {
			RawResponse response = this.http.postWithRawKey("alice", "/orders", bad.getValue(), ORDER);
			assertThat(response.status()).as(bad.getKey()).isEqualTo(400);
			assertThat(response.head()).as(bad.getKey()).containsIgnoringCase("Content-Type: application/problem+json");
			assertThat(response.json().get("type").asString()).as(bad.getKey())
				.isEqualTo("urn:idempotent:problem:invalid-key");
		}
		HttpResponse<String> missing = this.http.post("alice", "/orders", null, ORDER);
		assertThat(missing.statusCode()).isEqualTo(400);
		assertThat(json(missing).get("type").asString()).isEqualTo("urn:idempotent:problem:missing-key");
		assertThat(json(missing).get("status").asInt()).isEqualTo(400);
		assertThat(missing.body()).doesNotContain("Exception").doesNotContain("at dev.");

		assertThat(records()).isEqualTo(recordsBefore);
		assertThat(this.http.count("alice", "/orders")).isEqualTo(ordersBefore);
	}

	@Test
	void invalidOrderIs400ProblemDetailsAndStoresNothing() {
		String key = newKey();
		HttpResponse<String> invalid = this.http.post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":1001}");
		assertThat(invalid.statusCode()).isEqualTo(400);
		assertThat(invalid.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(json(invalid).get("status").asInt()).isEqualTo(400);
		assertThat(invalid.body()).doesNotContain("Exception").doesNotContain("at dev.");
		assertThat(redis().hasKey(storageKey("orders", "alice", key))).isFalse();
	}

	@Test
	void rejectedBeforeTheMethodRunsStoresNothingAndTheKeyThenWorks() {
		String key = newKey();
		HttpResponse<String> invalid = this.http.post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":0}");
		HttpResponse<String> anonymous = this.http.postAnonymously("/orders", key, ORDER);
		assertThat(invalid.statusCode()).isEqualTo(400);
		assertThat(anonymous.statusCode()).isEqualTo(401);
		HttpResponse<String> valid = this.http.post("alice", "/orders", key, ORDER);
		assertThat(valid.statusCode()).isEqualTo(201);
		assertThat(valid.headers().firstValue("Idempotent-Replayed")).isEmpty();
	}

	@Test
	void sixtyFourConcurrentRequestsWithOneKeyCreateOneOrder() throws Exception {
		String key = newKey();
		String slowOrder = "{\"sku\":\"race\",\"quantity\":1,\"processingMillis\":500}";
		int before = this.http.count("bob", "/orders");
		int requests = 64;
		List<String> outcomes = ConcurrentCallers.race(requests, () -> {
			HttpResponse<String> response = this.http.post("bob", "/orders", key, slowOrder);
			return switch (response.statusCode()) {
				case 201 -> response.headers().firstValue("Idempotent-Replayed").isPresent() ? "replayed" : "executed";
				case 409 -> json(response).get("type").asString().endsWith("request-in-progress")
						&& response.headers().firstValue("Retry-After").isPresent() ? "in-progress" : "unexpected 409";
				default -> "unexpected " + response.statusCode();
			};
		});
		assertThat(outcomes).hasSize(requests).containsOnlyOnce("executed")
			.allMatch((o) -> o.equals("executed") || o.equals("replayed") || o.equals("in-progress"));
		assertThat(this.http.count("bob", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void sameKeyWithADifferentBodyIs422AndTheFirstOrderStillReplays() {
		String key = newKey();
		int before = this.http.count("alice", "/orders");
		HttpResponse<String> first = this.http.post("alice", "/orders", key, ORDER);
		HttpResponse<String> reused = this.http.post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":3}");
		assertThat(reused.statusCode()).isEqualTo(422);
		assertThat(reused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(json(reused).get("type").asString()).isEqualTo("urn:idempotent:problem:key-reused");
		assertThat(json(reused).get("status").asInt()).isEqualTo(422);
		assertThat(reused.headers().firstValue("Idempotent-Replayed")).isEmpty();

		HttpResponse<String> replay = this.http.post("alice", "/orders", key, ORDER);
		assertThat(replay.statusCode()).isEqualTo(201);
		assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(replay)).isEqualTo(json(first));
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void batchOfOrdersReplaysTheSameListAndAnInvalidItemStoresNothing() {
		String key = newKey();
		int before = this.http.count("alice", "/orders");
		HttpResponse<String> invalid = this.http.post("alice", "/orders/batch", key,
				"[{\"sku\":\"pen\",\"quantity\":1},{\"sku\":\"ink\",\"quantity\":0}]");
		assertThat(invalid.statusCode()).isEqualTo(400);
		assertThat(redis().hasKey(storageKey("order-batches", "alice", key))).isFalse();

		String items = "[{\"sku\":\"pen\",\"quantity\":1},{\"sku\":\"ink\",\"quantity\":3}]";
		HttpResponse<String> first = this.http.post("alice", "/orders/batch", key, "{\"items\":" + items + "}");
		HttpResponse<String> retry = this.http.post("alice", "/orders/batch", key, "{\"items\":" + items + "}");
		// The bare array that earlier releases took is still taken.
		HttpResponse<String> bare = this.http.post("alice", "/orders/batch", newKey(), items);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(json(first)).hasSize(2);
		assertThat(json(first).get(0).get("sku").asString()).isEqualTo("pen");
		assertThat(json(first).get(1).get("quantity").asInt()).isEqualTo(3);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(retry)).isEqualTo(json(first));
		assertThat(bare.statusCode()).isEqualTo(201);
		assertThat(json(bare)).hasSize(2);
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 4);
	}

	@Test
	void anEmptyOrOversizedBatchIs400AndStoresNothing() {
		String key = newKey();
		String order = "{\"sku\":\"pen\",\"quantity\":1}";
		String oversized = "{\"items\":[" + String.join(",", Collections.nCopies(101, order)) + "]}";
		for (String body : List.of("{\"items\":[]}", "[]", "{}", oversized)) {
			assertThat(this.http.post("alice", "/orders/batch", key, body).statusCode()).as(body).isEqualTo(400);
		}
		assertThat(redis().hasKey(storageKey("order-batches", "alice", key))).isFalse();
	}

	@Test
	void sameJsonWithOtherKeyOrderAndWhitespaceIsTheSameRequest() {
		String key = newKey();
		HttpResponse<String> first = this.http.post("alice", "/orders", key, ORDER);
		HttpResponse<String> retry = this.http.post("alice", "/orders", key,
				"{\n  \"quantity\" : 2,\n  \"sku\" : \"book\"\n}");
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(retry)).isEqualTo(json(first));
	}

	@Test
	void quotedAndBareKeyAreTheSameKey() {
		String key = newKey();
		HttpResponse<String> bare = this.http.post("alice", "/orders", key, ORDER);
		HttpResponse<String> quoted = this.http.post("alice", "/orders", "\"" + key + "\"", ORDER);
		assertThat(bare.statusCode()).isEqualTo(201);
		assertThat(quoted.statusCode()).isEqualTo(201);
		assertThat(quoted.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(quoted)).isEqualTo(json(bare));
	}

	@Test
	void anotherUsersKeyRunsIndependentlyAndRevealsNothing() throws Exception {
		String key = newKey();
		CompletableFuture<HttpResponse<String>> alice = CompletableFuture.supplyAsync(() -> this.http.post("alice",
				"/orders", key, "{\"sku\":\"slow\",\"quantity\":1,\"processingMillis\":1000}"));
		awaitRecord("orders", "alice", key);
		// While alice's call runs, and with another body: neither 409 nor 422 tells bob it exists.
		HttpResponse<String> bob = this.http.post("bob", "/orders", key, ORDER);
		assertThat(bob.statusCode()).isEqualTo(201);
		assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(json(bob).get("owner").asString()).isEqualTo("bob");
		assertThat(alice.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
		HttpResponse<String> bobAgain = this.http.post("bob", "/orders", key, ORDER);
		assertThat(bobAgain.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(bobAgain)).isEqualTo(json(bob));
	}

	@Test
	void unsupportedMediaTypeStoresNothingAndTheKeyThenWorks() {
		String key = newKey();
		HttpResponse<String> unsupported = this.http.post("alice", "/orders", key, "text/plain", "two books");
		assertThat(unsupported.statusCode()).isEqualTo(415);
		assertThat(redis().hasKey(storageKey("orders", "alice", key))).isFalse();
		HttpResponse<String> valid = this.http.post("alice", "/orders", key, ORDER);
		assertThat(valid.statusCode()).isEqualTo(201);
		assertThat(valid.headers().firstValue("Idempotent-Replayed")).isEmpty();
	}

	@Test
	void responseLargerThanTheLimitRunsOnceAndItsRetryIs409ReplayUnavailable() {
		String key = newKey();
		String large = "{\"sku\":\"" + "x".repeat(70_000) + "\",\"quantity\":1}";
		int before = this.http.count("alice", "/orders");
		HttpResponse<String> first = this.http.post("alice", "/orders", key, large);
		HttpResponse<String> retry = this.http.post("alice", "/orders", key, large);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(retry.statusCode()).isEqualTo(409);
		assertThat(retry.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(json(retry).get("type").asString()).isEqualTo("urn:idempotent:problem:replay-unavailable");
		assertThat(retry.headers().firstValue("Retry-After")).as("retrying will not help").isEmpty();
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void redisUnreachableIs503AndRunsNothingThenTheSameKeyWorksWithoutARestart() {
		String key = newKey();
		int before = this.http.count("alice", "/orders");
		redisProxy.cut();
		try {
			HttpResponse<String> refused = this.http.post("alice", "/orders", key, ORDER);
			assertThat(refused.statusCode()).isEqualTo(503);
			assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
			assertThat(refused.headers().firstValue("Retry-After")).isPresent();
			assertThat(json(refused).get("type").asString()).isEqualTo("urn:idempotent:problem:storage-unavailable");
			assertThat(refused.body()).doesNotContain("127.0.0.1").doesNotContain("Exception");
			assertThat(this.http.count("alice", "/orders")).as("no order created while Redis is unreachable")
				.isEqualTo(before);
		}
		finally {
			redisProxy.restore();
		}
		HttpResponse<String> retry = this.http.post("alice", "/orders", key, ORDER);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	/** Waits until the key's record exists: a call with it has claimed it. */
	protected void awaitRecord(String operation, String user, String key) {
		String storageKey = storageKey(operation, user, key);
		Poll.until("the first call claims its key", () -> Boolean.TRUE.equals(redis().hasKey(storageKey)));
	}

	/** The Redis key of a record of the service under test. */
	protected static String storageKey(String operation, String user, String key) {
		return new IdempotencyKeys(PREFIX, 255).storageKey(operation, user, key);
	}

	/** The test Redis, reached directly. */
	protected static StringRedisTemplate redis() {
		assertThat(redis).as("connected before the tests").isNotNull();
		return redis;
	}

	/** A key no test has used. */
	protected static String newKey() {
		return UUID.randomUUID().toString();
	}

	private int records() {
		return redis().keys(PREFIX + "*").size();
	}

}
