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
package dev.idempotent.client.reactive;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.idempotent.client.IdempotencyKeyScope;
import dev.idempotent.client.RecordingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The {@code WebClient} filter against a real HTTP server, retried with Reactor's {@code retryWhen}. */
class IdempotencyKeyExchangeFilterFunctionTest {

	private static final Duration PATIENCE = Duration.ofSeconds(30);

	private final RecordingServer server = RecordingServer.start();

	private final WebClient client = WebClient.builder()
		.baseUrl(this.server.url())
		.clientConnector(new JdkClientHttpConnector())
		.apply(new IdempotencyKeyExchangeFilterFunction())
		.build();

	@AfterEach
	void stop() {
		this.server.close();
	}

	@Test
	void everyResubscriptionOfACallCarriesOneKey() {
		this.server.thenAnswer(503, Map.of()).thenAnswer(503, Map.of());
		Mono<String> first = post().retryWhen(Retry.max(2));

		assertThat(first.block(PATIENCE)).contains("200");
		post().block(PATIENCE);

		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(4).doesNotContainNull();
		assertThat(keys.subList(0, 3)).as("three attempts of the first call").containsOnly(keys.get(0));
		assertThat(keys.get(3)).as("the second call").isNotEqualTo(keys.get(0));
	}

	@Test
	void keyTheCallerSetIsKeptAndSafeMethodsGetNone() {
		this.server.thenAnswer(503, Map.of());
		this.client.post()
			.uri("/orders")
			.header("Idempotency-Key", "order-42")
			.bodyValue("{}")
			.retrieve()
			.toBodilessEntity()
			.retryWhen(Retry.max(1))
			.block(PATIENCE);
		this.client.get().uri("/orders").retrieve().toBodilessEntity().block(PATIENCE);
		this.client.put().uri("/orders/1").bodyValue("{}").retrieve().toBodilessEntity().block(PATIENCE);
		this.client.patch().uri("/orders/1").bodyValue("{}").retrieve().toBodilessEntity().block(PATIENCE);

		List<String> keys = this.server.headerOfEach("Idempotency-Key");
		assertThat(keys).hasSize(5);
		assertThat(keys.subList(0, 4)).containsExactly("order-42", "order-42", null, null);
		assertThat(keys.get(4)).as("PATCH").isNotBlank().isNotEqualTo("order-42");
	}

	@Test
	void callBuiltInAScopeCarriesItsKeyWhereverItIsSent() {
		this.server.thenAnswer(503, Map.of());
		Mono<String> call = IdempotencyKeyScope.call("order-7", () -> post().retryWhen(Retry.max(1)));

		assertThat(call.block(PATIENCE)).contains("200");

		assertThat(this.server.headerOfEach("Idempotency-Key")).containsExactly("order-7", "order-7");
	}

	@Test
	void registeredAsAPlainFilterItRefusesToSendRatherThanGiveEachRetryANewKey() {
		WebClient plain = WebClient.builder()
			.baseUrl(this.server.url())
			.clientConnector(new JdkClientHttpConnector())
			.filter(new IdempotencyKeyExchangeFilterFunction())
			.build();

		Mono<String> call = plain.post().uri("/orders").bodyValue("{}").retrieve().bodyToMono(String.class);

		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> call.block(PATIENCE))
			.withMessageContaining("WebClient.Builder.apply(");
		assertThat(this.server.received()).isEmpty();
	}

	private Mono<String> post() {
		return this.client.post().uri("/orders").bodyValue("{}").retrieve().bodyToMono(String.class);
	}

}
