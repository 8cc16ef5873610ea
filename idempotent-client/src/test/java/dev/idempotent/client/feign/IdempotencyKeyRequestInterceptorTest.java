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
package dev.idempotent.client.feign;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.client.IdempotencyKeyPolicy;
import dev.idempotent.client.IdempotencyKeyScope;
import dev.idempotent.client.RecordingServer;
import feign.Feign;
import feign.FeignException;
import feign.Headers;
import feign.Param;
import feign.RequestLine;
import feign.Retryer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The Feign interceptor against a real HTTP server, through Feign's own {@link Retryer}. */
class IdempotencyKeyRequestInterceptorTest {

	private static final Map<String, String> UNAVAILABLE = Map.of("Retry-After", "0");

	private final RecordingServer server = RecordingServer.start();

	@AfterEach
	void stop() {
		this.server.close();
	}

	@Test
	void everyRetryOfACallCarriesTheKeyOfItsFirstAttempt() {
		this.server.thenAnswer(503, UNAVAILABLE).thenAnswer(503, UNAVAILABLE);
		Orders orders = client(new IdempotencyKeyRequestInterceptor());

		orders.create("{}");
		orders.create("{}");

		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(4).doesNotContainNull();
		assertThat(keys.subList(0, 3)).as("three attempts of the first call").containsOnly(keys.get(0));
		assertThat(keys.get(3)).as("the second call").isNotEqualTo(keys.get(0));
		assertThat(keys.get(0)).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}");
	}

	@Test
	void keyTheCallerSetIsKeptOnEveryAttempt() {
		this.server.thenAnswer(503, UNAVAILABLE);
		Orders orders = client(new IdempotencyKeyRequestInterceptor());

		orders.create("order-42", "{}");

		assertThat(this.server.headerOfEach("Idempotency-Key")).containsExactly("order-42", "order-42");
	}

	@Test
	void onlyUnsafeMethodsGetAKey() {
		Orders orders = client(new IdempotencyKeyRequestInterceptor());

		orders.list();
		orders.replace("{}");
		orders.create("{}");

		// PATCH is covered too, but the JDK connection Feign uses by default cannot send it.
		assertThat(this.server.received()).extracting(RecordingServer.Received::method)
			.containsExactly("GET", "PUT", "POST");
		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys.subList(0, 2)).containsOnlyNulls();
		assertThat(keys.get(2)).isNotBlank();
	}

	@Test
	void policyChoosesHeaderMethodsAndGenerator() {
		AtomicInteger generated = new AtomicInteger();
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults()
			.withHeader("X-Request-Key")
			.withMethods("put")
			.withGenerator(() -> "key-" + generated.incrementAndGet());
		this.server.thenAnswer(503, UNAVAILABLE);
		Orders orders = client(new IdempotencyKeyRequestInterceptor(policy));

		orders.replace("{}");
		orders.create("{}");

		assertThat(this.server.headerOfEach("X-Request-Key")).containsExactly("key-1", "key-1", null);
		assertThat(this.server.headerOfEach("Idempotency-Key")).containsOnlyNulls();
	}

	@Test
	void callsInAScopeShareItsKeySoRetriesAroundTheClientKeepIt() {
		this.server.thenAnswer(503, Map.of());
		Orders orders = client(new IdempotencyKeyRequestInterceptor());

		// A retry around the client: the 503 without Retry-After is not retryable for Feign itself.
		String answer = IdempotencyKeyScope.call(() -> {
			try {
				return orders.create("{}");
			}
			catch (FeignException.ServiceUnavailable ex) {
				return orders.create("{}");
			}
		});
		IdempotencyKeyScope.call("order-7", () -> orders.create("{}"));
		orders.create("{}");

		assertThat(answer).contains("200");
		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(4).doesNotContainNull();
		assertThat(keys.get(1)).isEqualTo(keys.get(0));
		assertThat(keys.get(2)).isEqualTo("order-7");
		assertThat(keys.get(3)).isNotIn(keys.get(0), "order-7");
	}

	@Test
	void generatorThatGivesNoUsableKeyFailsTheCallBeforeItIsSent() {
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults().withGenerator(() -> " ");
		Orders orders = client(new IdempotencyKeyRequestInterceptor(policy));

		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> orders.create("{}"))
			.withMessageContaining("idempotency key generator returned ' '");
		assertThat(this.server.received()).isEmpty();
	}

	private Orders client(IdempotencyKeyRequestInterceptor interceptor) {
		return Feign.builder()
			.requestInterceptor(interceptor)
			.retryer(new Retryer.Default(1, 1, 5))
			.target(Orders.class, this.server.url());
	}

	interface Orders {

		@RequestLine("POST /orders")
		@Headers("Content-Type: application/json")
		String create(String json);

		@RequestLine("POST /orders")
		@Headers({ "Content-Type: application/json", "Idempotency-Key: {key}" })
		String create(@Param("key") String key, String json);

		@RequestLine("GET /orders")
		String list();

		@RequestLine("PUT /orders/1")
		@Headers("Content-Type: application/json")
		String replace(String json);

	}

}
