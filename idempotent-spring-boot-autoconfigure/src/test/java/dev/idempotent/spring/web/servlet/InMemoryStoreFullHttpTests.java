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
package dev.idempotent.spring.web.servlet;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.servers.HttpExchange;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-memory store's bound, over real HTTP: once it holds {@code idempotent.memory.max-records}
 * live records, a request with a new key is refused with 503 and its method does not run, while
 * duplicates of the keys it holds are still answered.
 */
@SpringBootTest(classes = InMemoryStoreFullHttpTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "idempotent.store.type=in-memory", "idempotent.memory.max-records=2" })
class InMemoryStoreFullHttpTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient client = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private Orders orders;

	@Autowired
	private InMemoryIdempotencyStore store;

	@Test
	void aFullStoreRefusesANewKeyWith503AndTheMethodDoesNotRun() {
		String first = UUID.randomUUID().toString();
		assertThat(post(first).statusCode()).isEqualTo(201);
		assertThat(post(UUID.randomUUID().toString()).statusCode()).isEqualTo(201);
		assertThat(this.store.size()).isEqualTo(2);

		HttpResponse<String> refused = post(UUID.randomUUID().toString());

		assertThat(refused.statusCode()).isEqualTo(503);
		assertThat(refused.headers().firstValue("Retry-After")).isPresent();
		assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonNode problem = JSON.readTree(refused.body());
		assertThat(problem.get("type").asString()).isEqualTo("urn:idempotent:problem:storage-unavailable");
		assertThat(this.orders.placed()).as("the refused request's method did not run").isEqualTo(2);

		HttpResponse<String> duplicate = post(first);
		assertThat(duplicate.statusCode()).as("a held key is still replayed").isEqualTo(201);
		assertThat(JSON.readTree(duplicate.body()).get("number").asInt()).isEqualTo(1);
		assertThat(this.orders.placed()).isEqualTo(2);
	}

	private HttpResponse<String> post(String key) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/orders/" + key))
			.timeout(Duration.ofSeconds(30))
			.header("Idempotency-Key", key)
			.POST(HttpRequest.BodyPublishers.noBody())
			.build();
		return HttpExchange.send(this.client, request);
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Orders orders() {
			return new Orders();
		}

	}

	@RestController
	static class Orders {

		private final AtomicInteger placed = new AtomicInteger();

		// A method, not the field: the bean is a proxy.
		public int placed() {
			return this.placed.get();
		}

		@PostMapping("/orders/{id}")
		@Idempotent(name = "orders")
		ResponseEntity<Map<String, Object>> place(@PathVariable String id) {
			return ResponseEntity.status(201).body(Map.of("id", id, "number", this.placed.incrementAndGet()));
		}

	}

}
