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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/** One-time tokens for {@code POST /comments}, over real HTTP, against a real Redis. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class CommentTokensHttpTest {

	private static final String PREFIX = "example-token-test-" + UUID.randomUUID() + ":";

	private static final String TOKENS = "/idempotency-tokens?operation=comments";

	private static final String COMMENT = "{\"text\":\"first!\"}";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, PREFIX);
	}

	@LocalServerPort
	private int port;

	@Autowired
	private IdempotenceService idempotence;

	@Autowired
	private StringRedisTemplate redis;

	private ExampleHttpClient http;

	@BeforeEach
	void client() {
		this.http = new ExampleHttpClient(this.port);
	}

	@Test
	void aTokenPostsOneCommentAndASecondSubmitReplaysIt() {
		int before = this.http.count("alice", "/comments");
		Instant issuedAt = Instant.now();
		HttpResponse<String> issued = this.http.post("alice", TOKENS, null, "");
		assertThat(issued.statusCode()).isEqualTo(201);
		assertThat(issued.headers().firstValue("Cache-Control")).hasValue("no-store");
		String token = json(issued).get("token").asString();
		assertThat(token).matches("[A-Za-z0-9_-]{43}");
		Duration ttl = Duration.ofMinutes(10);
		assertThat(Instant.parse(json(issued).get("expiresAt").asString())).as("idempotent.token.ttl of the example")
			.isBetween(issuedAt.plus(ttl).minusSeconds(1), Instant.now().plus(ttl));

		HttpResponse<String> first = this.http.post("alice", "/comments", token, COMMENT);
		HttpResponse<String> again = this.http.post("alice", "/comments", token, COMMENT);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(json(first).get("text").asString()).isEqualTo("first!");
		assertThat(json(first).get("author").asString()).isEqualTo("alice");
		assertThat(again.statusCode()).isEqualTo(201);
		assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(again)).isEqualTo(json(first));
		assertThat(this.http.count("alice", "/comments")).isEqualTo(before + 1);
	}

	@Test
	void aKeyThatWasNeverIssuedIsRefused() {
		int before = this.http.count("alice", "/comments");
		HttpResponse<String> forged = this.http.post("alice", "/comments", UUID.randomUUID().toString(), COMMENT);
		assertInvalidToken(forged);
		assertThat(this.http.count("alice", "/comments")).isEqualTo(before);
	}

	@Test
	void anExpiredTokenIsRefused() throws InterruptedException {
		String token = this.idempotence.issueToken("comments", "alice", Duration.ofMillis(300)).token();
		String storageKey = new IdempotencyKeys(PREFIX, 255).storageKey("comments", "alice", token);
		assertThat(this.redis.hasKey(storageKey)).as("the live token").isTrue();
		Poll.until("the token expires in Redis", () -> !this.redis.hasKey(storageKey));
		int before = this.http.count("alice", "/comments");
		assertInvalidToken(this.http.post("alice", "/comments", token, COMMENT));
		assertThat(this.http.count("alice", "/comments")).isEqualTo(before);
	}

	@Test
	void bobCannotUseAlicesTokenAndAliceStillCan() {
		String token = json(this.http.post("alice", TOKENS, null, "")).get("token").asString();
		int bobs = this.http.count("bob", "/comments");
		assertInvalidToken(this.http.post("bob", "/comments", token, COMMENT));
		assertThat(this.http.count("bob", "/comments")).isEqualTo(bobs);
		HttpResponse<String> alice = this.http.post("alice", "/comments", token, COMMENT);
		assertThat(alice.statusCode()).isEqualTo(201);
		assertThat(json(alice).get("author").asString()).isEqualTo("alice");
	}

	@Test
	void concurrentSubmitsOfOneTokenPostOneComment() throws Exception {
		String token = json(this.http.post("alice", TOKENS, null, "")).get("token").asString();
		int before = this.http.count("alice", "/comments");
		List<Integer> statuses = ConcurrentCallers.race(16,
				() -> this.http.post("alice", "/comments", token, COMMENT).statusCode());
		assertThat(statuses).as("the first, replays of it, or 'in progress'").isSubsetOf(201, 409).contains(201);
		assertThat(this.http.count("alice", "/comments")).isEqualTo(before + 1);
	}

	@Test
	void tokensAreIssuedOnlyForTokenOperationsAndOnlyToAuthenticatedUsers() {
		HttpResponse<String> orders = this.http.post("alice", "/idempotency-tokens?operation=orders", null, "");
		assertThat(orders.statusCode()).isEqualTo(400);
		assertThat(orders.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(json(orders).get("type").asString()).isEqualTo("urn:idempotent:problem:unknown-operation");
		assertThat(this.http.postAnonymously(TOKENS, "unused", "").statusCode()).isEqualTo(401);
	}

	private static void assertInvalidToken(HttpResponse<String> response) {
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		JsonNode problem = json(response);
		assertThat(problem.get("type").asString()).isEqualTo("urn:idempotent:problem:invalid-token");
		assertThat(problem.get("status").asInt()).isEqualTo(400);
		assertThat(problem.get("instance").asString()).isEqualTo("/comments");
	}

}
