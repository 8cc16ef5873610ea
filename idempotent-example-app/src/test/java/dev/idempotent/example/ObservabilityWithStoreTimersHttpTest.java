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
import java.util.UUID;

import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The setting the observability guide gives to time each store round trip as well as each call,
 * {@code idempotent.store.observations=true}, on the real service (without it only the calls are timed;
 * see {@link ObservabilityHttpTest}).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = "idempotent.store.observations=true")
class ObservabilityWithStoreTimersHttpTest {

	private static final String PREFIX = "observability-store-test-" + UUID.randomUUID() + ":";

	private static final String ORDER = "{\"sku\":\"lamp\",\"quantity\":1}";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, PREFIX);
	}

	@LocalServerPort
	private int port;

	@Test
	void theStoreRoundTripsAreTimedByCommandAndResult() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		String key = "obs-" + UUID.randomUUID();
		assertThat(http.post("alice", "/orders", key, ORDER).statusCode()).isEqualTo(201);
		assertThat(http.post("alice", "/orders", key, ORDER).headers().firstValue("Idempotent-Replayed"))
			.hasValue("true");

		assertThat(http.get("admin", "/actuator/metrics/idempotency.store?tag=command:claim&tag=result:acquired")
			.statusCode()).isEqualTo(200);
		HttpResponse<String> prometheus = http.get("admin", "/actuator/prometheus");
		assertThat(prometheus.body())
			.containsPattern(
					"idempotency_requests_seconds_count\\{[^}]*operation=\"orders\",outcome=\"replayed\"[^}]*} [1-9]")
			.containsPattern(
					"idempotency_store_seconds_count\\{[^}]*command=\"claim\",[^}]*result=\"acquired\"[^}]*} [1-9]")
			.containsPattern(
					"idempotency_store_seconds_count\\{[^}]*command=\"complete\",[^}]*result=\"ok\"[^}]*} [1-9]");
	}

}
