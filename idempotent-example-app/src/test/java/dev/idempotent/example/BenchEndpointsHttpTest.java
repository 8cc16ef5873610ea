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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The three endpoints the HTTP load run compares answer alike, except that the plain one never
 * replays a retry: otherwise their throughput would measure something other than the annotation.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class BenchEndpointsHttpTest {

	private static final String ITEM = "{\"sku\":\"book\",\"quantity\":1}";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, "example-bench-test-" + UUID.randomUUID() + ":");
	}

	@LocalServerPort
	private int port;

	private ExampleHttpClient http;

	@BeforeEach
	void client() {
		this.http = new ExampleHttpClient(this.port);
	}

	@Test
	void idempotentEndpointReplaysARetry() {
		String key = UUID.randomUUID().toString();
		HttpResponse<String> first = this.http.post("alice", "/bench/idempotent", key, ITEM);
		HttpResponse<String> retry = this.http.post("alice", "/bench/idempotent", key, ITEM);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(retry)).isEqualTo(json(first));
	}

	@Test
	void plainEndpointRunsEveryRequestAndAnswersTheSameShape() {
		String key = UUID.randomUUID().toString();
		HttpResponse<String> first = this.http.post("alice", "/bench/plain", key, ITEM);
		HttpResponse<String> again = this.http.post("alice", "/bench/plain", key, ITEM);
		HttpResponse<String> idempotent = this.http.post("alice", "/bench/idempotent", UUID.randomUUID().toString(),
				ITEM);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(again.statusCode()).isEqualTo(201);
		assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(json(again).get("id")).as("a second execution").isNotEqualTo(json(first).get("id"));
		assertThat(json(first).propertyNames()).containsExactlyElementsOf(json(idempotent).propertyNames());
		assertThat(json(first).get("owner").asString()).isEqualTo("alice");
		assertThat(first.headers().firstValue("Location")).hasValue("/bench/" + json(first).get("id").asString());
	}

	@Test
	void floorReplaysARetryAndAnswersTheSameShape() {
		String key = UUID.randomUUID().toString();
		HttpResponse<String> first = this.http.post("alice", "/bench/floor", key, ITEM);
		HttpResponse<String> retry = this.http.post("alice", "/bench/floor", key, ITEM);
		HttpResponse<String> idempotent = this.http.post("alice", "/bench/idempotent", key, ITEM);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(retry)).isEqualTo(json(first));
		assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
		assertThat(json(first).propertyNames()).containsExactlyElementsOf(json(idempotent).propertyNames());
		assertThat(json(idempotent).get("id")).as("the floor's records are its own").isNotEqualTo(json(first).get("id"));
	}

	@Test
	void allAskForALoginLikeEveryOtherEndpoint() {
		String key = UUID.randomUUID().toString();
		HttpResponse<String> plain = this.http.postAnonymously("/bench/plain", key, ITEM);
		HttpResponse<String> idempotent = this.http.postAnonymously("/bench/idempotent", key, ITEM);
		HttpResponse<String> floor = this.http.postAnonymously("/bench/floor", key, ITEM);
		assertThat(plain.statusCode()).isEqualTo(401);
		assertThat(idempotent.statusCode()).isEqualTo(401);
		assertThat(floor.statusCode()).isEqualTo(401);
		HttpResponse<String> afterLogin = this.http.post("alice", "/bench/idempotent", key, ITEM);
		assertThat(afterLogin.statusCode()).as("the refused call stored nothing under the key").isEqualTo(201);
		assertThat(afterLogin.headers().firstValue("Idempotent-Replayed")).isEmpty();
	}

}
