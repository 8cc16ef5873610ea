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
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.UUID;

import dev.idempotent.client.feign.IdempotencyKeyRequestInterceptor;
import dev.idempotent.example.FeignRetryHttpTest.Attempt;
import dev.idempotent.example.FeignRetryHttpTest.RecordingClient;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import feign.Retryer;
import feign.auth.BasicAuthRequestInterceptor;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.cloud.openfeign.EnableFeignClients;
import org.springframework.cloud.openfeign.FeignClient;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same caller as {@link FeignRetryHttpTest}, declared the Spring Cloud OpenFeign way: a
 * {@code @FeignClient} interface, its read timeout set by property, a {@link Retryer} bean, and the
 * auto-configured {@link IdempotencyKeyRequestInterceptor} applied without any wiring. It calls the example
 * over real HTTP, on a port picked at random before the service starts so the client's URL can name it.
 */
@SpringBootTest(webEnvironment = WebEnvironment.DEFINED_PORT)
class SpringCloudFeignRetryHttpTest {

	private static final int PORT = freePort();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	// The order takes four times the read timeout: its first attempt always times out.
	private static final long PROCESSING_MILLIS = 4000;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, "spring-cloud-feign-test-" + UUID.randomUUID() + ":");
		registry.add("server.port", () -> PORT);
		registry.add("orders.url", () -> "http://127.0.0.1:" + PORT);
		// The configuration docs/guides/clients.md shows, as properties.
		registry.add("spring.cloud.openfeign.client.config.orders.connect-timeout", () -> "2000");
		registry.add("spring.cloud.openfeign.client.config.orders.read-timeout", () -> "1000");
	}

	@Autowired
	private OrdersClient orders;

	@Autowired
	private RecordingClient attempts;

	@Test
	void timedOutOrderRetriedByTheFeignClientIsPlacedOnceAndAnsweredWithItsReplay() {
		ExampleHttpClient http = new ExampleHttpClient(PORT);
		String sku = "spring-cloud-feign-" + UUID.randomUUID();
		int before = http.count("alice", "/orders");

		ResponseEntity<String> response = this.orders
			.create("{\"sku\":\"" + sku + "\",\"quantity\":1,\"processingMillis\":" + PROCESSING_MILLIS + "}");

		List<Attempt> attempts = this.attempts.all();
		assertThat(attempts).hasSizeGreaterThan(1);
		assertThat(attempts.get(0).failure()).as("the first attempt timed out")
			.isInstanceOf(SocketTimeoutException.class);
		assertThat(attempts).extracting(Attempt::key)
			.as("the auto-configured interceptor gave the call a key, and every retry carried it")
			.doesNotContainNull()
			.containsOnly(attempts.get(0).key());
		assertThat(attempts.subList(1, attempts.size() - 1)).as("retries while the order ran")
			.allSatisfy((attempt) -> assertThat(attempt.inProgress() || attempt.timedOut()).isTrue());

		assertThat(response.getStatusCode().value()).isEqualTo(201);
		assertThat(response.getHeaders().getFirst("Idempotent-Replayed")).isEqualTo("true");
		JsonNode order = JSON.readTree(response.getBody());
		assertThat(order.get("sku").asString()).isEqualTo(sku);

		assertThat(http.count("alice", "/orders")).isEqualTo(before + 1);
		List<JsonNode> placed = json(http.get("alice", "/orders")).valueStream()
			.filter((placedOrder) -> placedOrder.get("sku").asString().equals(sku))
			.toList();
		assertThat(placed).as("exactly one order, the one replayed").singleElement().isEqualTo(order);
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@FeignClient(name = "orders", url = "${orders.url}", configuration = OrdersClientConfiguration.class)
	interface OrdersClient {

		@PostMapping(path = "/orders", consumes = MediaType.APPLICATION_JSON_VALUE)
		ResponseEntity<String> create(@RequestBody String json);

	}

	/** The client's own beans, in its child context: the caller's credentials and the retries. */
	static class OrdersClientConfiguration {

		@Bean
		BasicAuthRequestInterceptor credentials() {
			return new BasicAuthRequestInterceptor("alice", "alice");
		}

		@Bean
		Retryer retryer() {
			// Spring Cloud's default never retries. Up to 60 attempts at most 1 s apart: a minute for a
			// slow machine to finish the order.
			return new Retryer.Default(100, 1000, 60);
		}

	}

	@TestConfiguration(proxyBeanMethods = false)
	@EnableFeignClients(clients = OrdersClient.class)
	static class Callers {

		// Feign's default client, noting each attempt; Spring Cloud gives it to every @FeignClient.
		@Bean
		RecordingClient attempts() {
			return new RecordingClient();
		}

	}

}
