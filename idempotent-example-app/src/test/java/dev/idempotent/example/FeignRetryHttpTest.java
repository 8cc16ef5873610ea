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

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.idempotent.client.feign.IdempotencyKeyRequestInterceptor;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import feign.Client;
import feign.Feign;
import feign.FeignException;
import feign.Headers;
import feign.Param;
import feign.Request;
import feign.RequestLine;
import feign.Response;
import feign.Retryer;
import feign.TypedResponse;
import feign.auth.BasicAuthRequestInterceptor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The caller the library is for: a Feign client whose read timeout is shorter than the server's work
 * and whose {@link Retryer} tries again, calling the example's {@code POST /orders} over real HTTP.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class FeignRetryHttpTest {

	private static final String PREFIX = "feign-test-" + UUID.randomUUID() + ":";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	// The order takes four times the read timeout, so its first attempt always times out and its first
	// retries arrive while it still runs.
	private static final long READ_TIMEOUT_MILLIS = 1000;

	private static final long PROCESSING_MILLIS = 4000;

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, PREFIX);
	}

	@LocalServerPort
	private int port;

	@Autowired
	private StringRedisTemplate redis;

	private final RecordingClient attempts = new RecordingClient();

	private ExampleHttpClient http;

	@BeforeEach
	void client() {
		this.http = new ExampleHttpClient(this.port);
	}

	@Test
	void retriesOfATimedOutOrderCarryOneKeyCreateOneOrderAndEndWithItsReplay() {
		String sku = "feign-" + UUID.randomUUID();
		int before = this.http.count("alice", "/orders");

		TypedResponse<String> response = orders(READ_TIMEOUT_MILLIS)
			.create("{\"sku\":\"" + sku + "\",\"quantity\":1,\"processingMillis\":" + PROCESSING_MILLIS + "}");

		List<Attempt> attempts = this.attempts.all();
		assertThat(attempts.get(0).failure()).as("the first attempt timed out")
			.isInstanceOf(SocketTimeoutException.class);
		assertThat(attempts).extracting(Attempt::key).as("every attempt carried the first one's key")
			.doesNotContainNull()
			.containsOnly(attempts.get(0).key());
		// How many retries came while the order ran, and whether they too timed out or were answered 409,
		// is up to the machine's speed; see the next test for the 409.
		assertThat(attempts.subList(1, attempts.size() - 1)).as("retries while the order ran")
			.allSatisfy((attempt) -> assertThat(attempt.inProgress() || attempt.timedOut()).isTrue());
		assertThat(attempts.get(attempts.size() - 1).status()).isEqualTo(201);

		assertThat(response.status()).isEqualTo(201);
		assertThat(header(response.headers(), "Idempotent-Replayed")).isEqualTo("true");
		JsonNode order = JSON.readTree(response.body());
		assertThat(order.get("sku").asString()).isEqualTo(sku);
		assertThat(header(response.headers(), "Location")).isEqualTo("/orders/" + order.get("id").asString());

		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 1);
		List<JsonNode> placed = json(this.http.get("alice", "/orders")).valueStream()
			.filter((placedOrder) -> placedOrder.get("sku").asString().equals(sku))
			.toList();
		assertThat(placed).as("exactly one order, the one replayed").singleElement().isEqualTo(order);
	}

	@Test
	void retryToldTheOrderIsStillRunningWaitsForItsRetryAfterAndGetsTheReplay() throws Exception {
		String key = UUID.randomUUID().toString();
		String order = "{\"sku\":\"feign-" + key + "\",\"quantity\":1,\"processingMillis\":" + PROCESSING_MILLIS + "}";
		int before = this.http.count("alice", "/orders");
		CompletableFuture<HttpResponse<String>> running = CompletableFuture
			.supplyAsync(() -> this.http.post("alice", "/orders", key, order));
		String storageKey = new IdempotencyKeys(PREFIX, 255).storageKey("orders", "alice", key);
		Poll.until("the first call claims its key", () -> Boolean.TRUE.equals(this.redis.hasKey(storageKey)));

		// Feign's default ErrorDecoder makes a response with Retry-After retryable; its Retryer waits for
		// it (capped at its maximum period) and tries again with the same key.
		TypedResponse<String> response = orders(30_000).create(key, order);

		List<Attempt> attempts = this.attempts.all();
		assertThat(attempts).hasSizeGreaterThan(1);
		assertThat(attempts.subList(0, attempts.size() - 1)).as("409 request-in-progress with Retry-After")
			.allSatisfy((attempt) -> assertThat(attempt.inProgress()).isTrue());
		assertThat(response.status()).isEqualTo(201);
		assertThat(header(response.headers(), "Idempotent-Replayed")).isEqualTo("true");
		assertThat(JSON.readTree(response.body())).isEqualTo(json(running.get(30, TimeUnit.SECONDS)));
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 1);
	}

	@Test
	void keyReusedForAnotherOrderIsAFinalAnswerAndNotRetried() {
		String key = UUID.randomUUID().toString();
		Orders orders = orders(30_000);
		TypedResponse<String> first = orders.create(key, "{\"sku\":\"pen\",\"quantity\":1}");

		assertThatExceptionOfType(FeignException.UnprocessableEntity.class)
			.isThrownBy(() -> orders.create(key, "{\"sku\":\"pen\",\"quantity\":2}"))
			.satisfies((ex) -> assertThat(ex.contentUTF8()).contains("urn:idempotent:problem:key-reused"));

		assertThat(first.status()).isEqualTo(201);
		assertThat(this.attempts.all()).as("one attempt each: a 422 has no Retry-After")
			.extracting(Attempt::status)
			.containsExactly(201, 422);
		assertThat(this.attempts.all()).extracting(Attempt::key).containsOnly(key);
	}

	private Orders orders(long readTimeoutMillis) {
		return Feign.builder()
			.client(this.attempts)
			.requestInterceptor(new BasicAuthRequestInterceptor("alice", "alice"))
			.requestInterceptor(new IdempotencyKeyRequestInterceptor())
			.options(new Request.Options(5, TimeUnit.SECONDS, readTimeoutMillis, TimeUnit.MILLISECONDS, true))
			// Up to 60 attempts, at most 1 s apart (a Retry-After of the lease's remaining 30 s is capped to 1 s):
			// a minute for a slow machine to finish the order.
			.retryer(new Retryer.Default(100, 1000, 60))
			.target(Orders.class, "http://127.0.0.1:" + this.port);
	}

	private static @Nullable String header(Map<String, Collection<String>> headers, String name) {
		Collection<String> values = headers.get(name);
		return (values != null && !values.isEmpty()) ? values.iterator().next() : null;
	}

	interface Orders {

		@RequestLine("POST /orders")
		@Headers("Content-Type: application/json")
		TypedResponse<String> create(String json);

		@RequestLine("POST /orders")
		@Headers({ "Content-Type: application/json", "Idempotency-Key: {key}" })
		TypedResponse<String> create(@Param("key") String key, String json);

	}

	/**
	 * One attempt as it went over the wire.
	 * @param key the idempotency key it carried
	 * @param status the response status, {@code 0} if none came
	 * @param retryAfter the response's {@code Retry-After}
	 * @param failure why no response came
	 */
	record Attempt(@Nullable String key, int status, @Nullable String retryAfter, @Nullable IOException failure) {

		boolean inProgress() {
			return this.status == 409 && this.retryAfter != null;
		}

		boolean timedOut() {
			return this.failure instanceof SocketTimeoutException;
		}

	}

	/** Feign's default client, noting what each attempt sent and got. */
	static final class RecordingClient implements Client {

		private final Client client = new Client.Default(null, null);

		private final List<Attempt> attempts = new CopyOnWriteArrayList<>();

		@Override
		public Response execute(Request request, Request.Options options) throws IOException {
			String key = header(request.headers(), "Idempotency-Key");
			try {
				Response response = this.client.execute(request, options);
				this.attempts.add(new Attempt(key, response.status(), header(response.headers(), "Retry-After"), null));
				return response;
			}
			catch (IOException ex) {
				this.attempts.add(new Attempt(key, 0, null, ex));
				throw ex;
			}
		}

		List<Attempt> all() {
			return List.copyOf(this.attempts);
		}

	}

}
