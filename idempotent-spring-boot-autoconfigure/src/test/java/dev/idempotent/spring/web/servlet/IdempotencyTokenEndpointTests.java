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
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.spring.IdempotencyCallerResolver;
import dev.idempotent.spring.IdempotencyTokenOperations;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.servers.HttpExchange;
import dev.idempotent.test.servers.TestRedis;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The token endpoint and a token operation, over real HTTP on a random port, against a real Redis.
 * The caller is named by an {@code X-User} header, so tokens can be tried by another caller.
 */
@SpringBootTest(classes = IdempotencyTokenEndpointTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT)
class IdempotencyTokenEndpointTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final String PREFIX = "token-endpoint-" + UUID.randomUUID() + ":";

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> PREFIX);
		registry.add("idempotent.token.ttl", () -> "7m");
		registry.add("idempotent.token.endpoint.enabled", () -> "true");
	}

	private final HttpClient client = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private Notes notes;

	@Autowired
	private IdempotencyTokenOperations tokenOperations;

	@Test
	void issuesATokenThatOneCallConsumes() {
		Instant before = Instant.now();
		HttpResponse<String> issued = post("alice", "/idempotency-tokens?operation=notes", null, null);
		assertThat(issued.statusCode()).isEqualTo(201);
		assertThat(issued.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/json"));
		assertThat(issued.headers().firstValue("Cache-Control")).hasValue("no-store");
		JsonNode body = JSON.readTree(issued.body());
		String token = body.get("token").asString();
		assertThat(token).matches("[A-Za-z0-9_-]{43}");
		assertThat(Instant.parse(body.get("expiresAt").asString()))
			.isBetween(before.plus(Duration.ofMinutes(7)), Instant.now().plus(Duration.ofMinutes(7)));
		int created = this.notes.created();

		HttpResponse<String> first = post("alice", "/notes", token, "{\"text\":\"hello\"}");
		HttpResponse<String> second = post("alice", "/notes", token, "{\"text\":\"hello\"}");
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(second.statusCode()).isEqualTo(409);
		assertProblem(second, 409, "duplicate-request");
		assertThat(this.notes.created()).isEqualTo(created + 1);
	}

	@Test
	void aTokenIsTheCallersAndAMisuseLeavesItLive() {
		String token = issue("alice");
		HttpResponse<String> byBob = post("bob", "/notes", token, "{\"text\":\"stolen\"}");
		HttpResponse<String> forged = post("alice", "/notes", "not-a-token-we-issued", "{\"text\":\"x\"}");
		assertProblem(byBob, 400, "invalid-token");
		assertProblem(forged, 400, "invalid-token");
		assertThat(post("alice", "/notes", token, "{\"text\":\"mine\"}").statusCode()).isEqualTo(201);
	}

	@Test
	void aTokenIsIssuedOnlyForATokenOperation() {
		String endpoint = "/idempotency-tokens";
		assertProblem(post("alice", endpoint + "?operation=no-such-thing", null, null), 400, "unknown-operation");
		assertProblem(post("alice", endpoint + "?operation=plain", null, null), 400, "unknown-operation");
		assertProblem(post("alice", endpoint, null, null), 400, "unknown-operation");
		assertThat(this.tokenOperations.names()).containsExactly("notes");
	}

	@Test
	void theEndpointIsOffUnlessEnabled() {
		WebApplicationContextRunner runner = new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, JacksonAutoConfiguration.class))
			.withPropertyValues("idempotent.store.type=in-memory");
		runner.run((context) -> assertThat(context).doesNotHaveBean(IdempotencyTokenController.class));
		runner.withPropertyValues("idempotent.token.endpoint.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(IdempotencyTokenController.class));
	}

	@Test
	void aTokenMethodWithoutANameOrWithAScopeFailsTheStartUp() {
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, JacksonAutoConfiguration.class))
			.withPropertyValues("idempotent.store.type=in-memory");
		runner.withBean(Unnamed.class).run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.hasStackTraceContaining("Unnamed.create")
			.hasStackTraceContaining("needs a name"));
		runner.withBean(Scoped.class).run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.hasStackTraceContaining("cannot have a scope"));
		runner.withPropertyValues("idempotent.token.ttl=0s").run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.hasStackTraceContaining("idempotent.token.ttl must be positive"));
	}

	private String issue(String user) {
		HttpResponse<String> issued = post(user, "/idempotency-tokens?operation=notes", null, null);
		assertThat(issued.statusCode()).isEqualTo(201);
		return JSON.readTree(issued.body()).get("token").asString();
	}

	private static void assertProblem(HttpResponse<String> response, int status, String slug) {
		assertThat(response.statusCode()).isEqualTo(status);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.get("type").asString()).isEqualTo("urn:idempotent:problem:" + slug);
		assertThat(problem.get("status").asInt()).isEqualTo(status);
	}

	private HttpResponse<String> post(String user, String path, @Nullable String key, @Nullable String json) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(30))
			.header("X-User", user)
			.header("Content-Type", "application/json")
			.POST((json != null) ? HttpRequest.BodyPublishers.ofString(json) : HttpRequest.BodyPublishers.noBody());
		if (key != null) {
			request.header("Idempotency-Key", key);
		}
		return HttpExchange.send(this.client, request.build());
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Notes notes() {
			return new Notes();
		}

		// The caller is whoever the X-User header names.
		@Bean
		IdempotencyCallerResolver callers() {
			return () -> {
				HttpServletRequest request = ((ServletRequestAttributes) RequestContextHolder
					.currentRequestAttributes()).getRequest();
				return request.getHeader("X-User");
			};
		}

	}

	@RestController
	static class Notes {

		private final AtomicInteger created = new AtomicInteger();

		// A method, not the field: the bean is a proxy.
		public int created() {
			return this.created.get();
		}

		@PostMapping("/notes")
		@Idempotent(name = "notes", token = true, onDuplicate = DuplicatePolicy.REJECT)
		ResponseEntity<Map<String, Object>> create(@RequestBody Map<String, String> note) {
			int id = this.created.incrementAndGet();
			return ResponseEntity.status(201).body(Map.of("id", id, "text", note.get("text")));
		}

		@PostMapping("/plain")
		@Idempotent(name = "plain")
		String plain() {
			return "plain";
		}

	}

	static class Unnamed {

		@Idempotent(token = true)
		void create() {
		}

	}

	static class Scoped {

		@Idempotent(name = "scoped", token = true, scope = "'tenant'")
		void create() {
		}

	}

}
