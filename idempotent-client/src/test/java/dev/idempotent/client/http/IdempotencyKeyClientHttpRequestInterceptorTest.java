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
package dev.idempotent.client.http;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.idempotent.client.IdempotencyKeyScope;
import dev.idempotent.client.RecordingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.core.retry.RetryPolicy;
import org.springframework.core.retry.RetryTemplate;
import org.springframework.http.HttpRequest;
import org.springframework.http.ResponseEntity;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestTemplate;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code RestClient} and {@code RestTemplate} interceptor against a real HTTP server. */
class IdempotencyKeyClientHttpRequestInterceptorTest {

	private static final Map<String, String> UNAVAILABLE = Map.of("Retry-After", "0");

	private final RecordingServer server = RecordingServer.start();

	private final RetryTemplate retryTemplate = new RetryTemplate(
			RetryPolicy.builder().maxRetries(3).delay(Duration.ofMillis(1)).build());

	@AfterEach
	void stop() {
		this.server.close();
	}

	@Test
	void retryLaterInTheChainSendsTheSameRequestWithItsKey() {
		this.server.thenAnswer(503, UNAVAILABLE).thenAnswer(503, UNAVAILABLE);
		RestClient client = client(new IdempotencyKeyClientHttpRequestInterceptor(), new RetryingInterceptor());

		post(client);
		post(client);

		assertOneKeyForThreeAttemptsThenANewOne();
	}

	@Test
	void retryEarlierInTheChainFindsTheKeyOfTheFirstAttempt() {
		this.server.thenAnswer(503, UNAVAILABLE).thenAnswer(503, UNAVAILABLE);
		RestClient client = client(new RetryingInterceptor(), new IdempotencyKeyClientHttpRequestInterceptor());

		post(client);
		post(client);

		assertOneKeyForThreeAttemptsThenANewOne();
	}

	@Test
	void retryAroundTheCallKeepsTheKeyInAScopeAndOnlyThere() {
		RestClient client = client(new IdempotencyKeyClientHttpRequestInterceptor());
		this.server.thenAnswer(503, UNAVAILABLE);
		String scoped = IdempotencyKeyScope.call(() -> this.retryTemplate.invoke(() -> post(client)));
		this.server.thenAnswer(503, UNAVAILABLE);
		this.retryTemplate.invoke(() -> post(client));

		assertThat(scoped).contains("200");
		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(4).doesNotContainNull();
		assertThat(keys.get(1)).as("the retry in the scope").isEqualTo(keys.get(0));
		assertThat(keys.get(3)).as("without a scope, a retry around the call is a new call").isNotEqualTo(keys.get(2));
	}

	@Test
	void keyTheCallerSetIsKeptAndSafeMethodsGetNone() {
		this.server.thenAnswer(503, UNAVAILABLE);
		RestClient client = client(new RetryingInterceptor(), new IdempotencyKeyClientHttpRequestInterceptor());

		client.post().uri("/orders").header("idempotency-key", "order-42").body("{}").retrieve().toBodilessEntity();
		client.get().uri("/orders").retrieve().toBodilessEntity();
		client.put().uri("/orders/1").body("{}").retrieve().toBodilessEntity();
		client.patch().uri("/orders/1").body("{}").retrieve().toBodilessEntity();

		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(5);
		assertThat(keys.subList(0, 4)).containsExactly("order-42", "order-42", null, null);
		assertThat(keys.get(4)).as("PATCH").isNotBlank().isNotEqualTo("order-42");
	}

	@Test
	void restTemplateGetsTheKeyToo() {
		RestTemplate template = new RestTemplate();
		template.setInterceptors(List.of(new IdempotencyKeyClientHttpRequestInterceptor()));

		ResponseEntity<String> response = template.postForEntity(this.server.uri("/orders"), "{}", String.class);

		assertThat(response.getStatusCode().value()).isEqualTo(200);
		assertThat(this.server.headerOfEach("Idempotency-Key")).singleElement().isNotNull();
	}

	private RestClient client(ClientHttpRequestInterceptor... interceptors) {
		return RestClient.builder()
			.baseUrl(this.server.url())
			.requestInterceptors((list) -> list.addAll(List.of(interceptors)))
			.build();
	}

	private static String post(RestClient client) {
		return client.post().uri("/orders").body("{}").retrieve().body(String.class);
	}

	private void assertOneKeyForThreeAttemptsThenANewOne() {
		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(4).doesNotContainNull();
		assertThat(keys.subList(0, 3)).as("three attempts of the first call").containsOnly(keys.get(0));
		assertThat(keys.get(3)).as("the second call").isNotEqualTo(keys.get(0));
	}

	/** Sends the same request again while the server answers 503, as a retrying interceptor would. */
	private static final class RetryingInterceptor implements ClientHttpRequestInterceptor {

		@Override
		public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
				throws IOException {
			for (int attempt = 1;; attempt++) {
				ClientHttpResponse response = execution.execute(request, body);
				if (response.getStatusCode().value() != 503 || attempt == 3) {
					return response;
				}
				response.close();
			}
		}

	}

}
