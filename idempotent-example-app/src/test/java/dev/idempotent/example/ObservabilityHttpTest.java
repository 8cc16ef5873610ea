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

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator sees, over real HTTP against a real Redis: the call metrics in
 * {@code /actuator/metrics} and Prometheus, the key in the log lines of the method, and the
 * {@code idempotency} endpoint that shows and releases a record. Only {@code admin} reaches the
 * actuator, health aside.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class ObservabilityHttpTest {

	private static final String PREFIX = "observability-test-" + UUID.randomUUID() + ":";

	private static final String ORDER = "{\"sku\":\"lamp\",\"quantity\":1}";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, PREFIX);
	}

	@LocalServerPort
	private int port;

	private ExampleHttpClient http;

	@BeforeEach
	void client() {
		this.http = new ExampleHttpClient(this.port);
	}

	@Test
	void replaysAreCountedInMetricsAndPrometheus() {
		double before = replayedOrders();
		String key = newKey();
		assertThat(this.http.post("alice", "/orders", key, ORDER).statusCode()).isEqualTo(201);
		assertThat(this.http.post("alice", "/orders", key, ORDER).headers().firstValue("Idempotent-Replayed"))
			.hasValue("true");
		assertThat(this.http.post("alice", "/orders", key, ORDER.replace("lamp", "desk")).statusCode())
			.isEqualTo(422);
		assertThat(replayedOrders()).isEqualTo(before + 1);

		HttpResponse<String> prometheus = this.http.get("admin", "/actuator/prometheus");
		assertThat(prometheus.statusCode()).isEqualTo(200);
		assertThat(prometheus.body()).containsPattern(
				"idempotency_requests_seconds_count\\{[^}]*operation=\"orders\",outcome=\"replayed\"[^}]*} [1-9]")
			.containsPattern(
					"idempotency_requests_seconds_count\\{[^}]*operation=\"orders\",outcome=\"key_reused\"[^}]*} [1-9]")
			.as("store round trips are timed only when asked for")
			.doesNotContain("idempotency_store_seconds");
	}

	@Test
	void theLogLinesOfTheMethodNameItsOperationAndKey(CapturedOutput output) {
		String key = newKey();
		String id = json(this.http.post("bob", "/orders", key, ORDER)).get("id").asString();
		assertThat(output.getOut().lines().filter((line) -> line.contains("Order " + id + " placed")))
			.singleElement()
			.asString()
			.contains("[orders:" + key + "]");
		assertThat(output.getOut().lines().filter((line) -> line.contains("Started ExampleApplication")))
			.allSatisfy((line) -> assertThat(line).doesNotContain("[orders:"));
	}

	@Test
	void theEndpointShowsARecordAndReleasesItSoTheNextSubmitRunsAgain(CapturedOutput output) {
		String key = newKey();
		int before = this.http.count("alice", "/orders");
		assertThat(this.http.post("alice", "/orders", key, ORDER).statusCode()).isEqualTo(201);
		String record = "/actuator/idempotency?operation=orders&principal=alice&key=" + encode(key);

		HttpResponse<String> shown = this.http.get("admin", record);
		assertThat(shown.statusCode()).isEqualTo(200);
		JsonNode body = json(shown);
		assertThat(body.get("state").asString()).isEqualTo("COMPLETED");
		assertThat(body.get("key").asString()).isEqualTo(key);
		assertThat(body.get("principal").asString()).isEqualTo("alice");
		assertThat(body.get("storageKey").asString()).startsWith(PREFIX + "orders:");
		assertThat(Instant.parse(body.get("expiresAt").asString()))
			.isAfter(Instant.parse(body.get("createdAt").asString()).plus(Duration.ofHours(23)));
		assertThat(body.get("fingerprint").asBoolean()).isTrue();
		assertThat(body.has("outcome")).as("no stored body by default").isFalse();
		assertThat(this.http.get("admin", record.replace("principal=alice", "principal=bob")).statusCode())
			.as("bob's records are apart").isEqualTo(404);

		HttpResponse<String> deleted = this.http.delete("admin", record);
		assertThat(deleted.statusCode()).isEqualTo(200);
		assertThat(json(deleted).get("state").asString()).isEqualTo("COMPLETED");
		assertThat(output.getOut()).containsPattern("WARN.*Idempotency record deleted through the actuator endpoint "
				+ "by admin.*operation=orders, key=" + key + ", principal=alice");
		assertThat(this.http.get("admin", record).statusCode()).isEqualTo(404);
		assertThat(this.http.delete("admin", record).statusCode()).isEqualTo(404);

		HttpResponse<String> again = this.http.post("alice", "/orders", key, ORDER);
		assertThat(again.statusCode()).isEqualTo(201);
		assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(this.http.count("alice", "/orders")).isEqualTo(before + 2);
	}

	@Test
	void aMalformedKeyIsAProblemAndAMissingOneABadRequest() {
		HttpResponse<String> malformed = this.http.get("admin",
				"/actuator/idempotency?operation=orders&key=" + "k".repeat(256));
		assertThat(malformed.statusCode()).isEqualTo(400);
		assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/problem+json"));
		assertThat(json(malformed).get("type").asString()).isEqualTo("urn:idempotent:problem:invalid-key");
		assertThat(this.http.get("admin", "/actuator/idempotency?operation=orders").statusCode()).isEqualTo(400);
	}

	@Test
	void onlyTheAdminReachesTheActuatorButHealthIsOpen() {
		assertThat(this.http.get("alice", "/actuator/metrics").statusCode()).isEqualTo(403);
		assertThat(this.http.get("alice", "/actuator/idempotency?operation=orders&key=k").statusCode())
			.isEqualTo(403);
		assertThat(this.http.delete("bob", "/actuator/idempotency?operation=orders&key=k").statusCode())
			.isEqualTo(403);
		assertThat(this.http.getAnonymously("/actuator/prometheus").statusCode()).isEqualTo(401);
		assertThat(this.http.get("admin", "/actuator/metrics").statusCode()).isEqualTo(200);
		HttpResponse<String> health = this.http.getAnonymously("/actuator/health");
		assertThat(health.statusCode()).isEqualTo(200);
		assertThat(json(health).get("status").asString()).isEqualTo("UP");
	}

	private double replayedOrders() {
		return this.http.metricCount("idempotency.requests", "operation:orders", "outcome:replayed");
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

	private static String newKey() {
		return "obs-" + UUID.randomUUID();
	}

}
