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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.transport.MethodCallTransport;
import dev.idempotent.test.servers.HttpExchange;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A kept failure's duplicate gets the first call's HTTP answer again, over a real server with its
 * records in a real Redis: the same status, {@code Content-Type}, problem {@code type} and body, byte
 * for byte, for exceptions with fields of their own, with a constructor that formats their message,
 * Spring's {@code ResponseStatusException} and {@code ErrorResponseException}, and an
 * {@code @ResponseStatus} exception; and {@code IdempotenceService.execute} throws the same failure
 * again, fields included.
 */
@SpringBootTest(classes = KeptFailureReplayHttpTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "idempotent.store.type=redis", "idempotent.store.timeout=300ms",
				"spring.mvc.problemdetails.enabled=true", "spring.web.error.include-message=always" })
class KeptFailureReplayHttpTests {

	private static final String PREFIX = "kept-failure-" + UUID.randomUUID() + ":";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> PREFIX);
		registry.add("idempotent.keep-on", RateLimited.class::getName);
	}

	private final HttpClient client = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private Orders orders;

	@Autowired
	private IdempotenceService idempotence;

	@Test
	void anExceptionsOwnStatusCodeIsReplayed() {
		HttpResponse<String> first = post("/rate-limited");
		assertThat(first.statusCode()).isEqualTo(429);
		assertReplayedAlike(first, "/rate-limited", "urn:test:problem:rate-limited");
		assertThat(JSON.readTree(first.body()).get("code").asInt()).isEqualTo(429);
	}

	@Test
	void aMessageItsConstructorFormatsIsReplayedOnce() {
		HttpResponse<String> first = post("/orders/42");
		assertThat(first.statusCode()).isEqualTo(404);
		assertThat(JSON.readTree(first.body()).get("detail").asString()).isEqualTo("Order 42 not found");
		assertReplayedAlike(first, "/orders/42", "urn:test:problem:order-not-found");
	}

	@Test
	void aResponseStatusExceptionIsReplayed() {
		HttpResponse<String> first = post("/offers/42");
		assertThat(first.statusCode()).isEqualTo(410);
		assertThat(JSON.readTree(first.body()).get("detail").asString()).isEqualTo("Offer 42 expired");
		assertReplayedAlike(first, "/offers/42", null);
	}

	@Test
	void anErrorResponseExceptionsProblemDetailAndHeadersAreReplayed() {
		HttpResponse<String> first = post("/quotas/acme");
		assertThat(first.statusCode()).isEqualTo(429);
		JsonNode problem = JSON.readTree(first.body());
		assertThat(problem.get("title").asString()).isEqualTo("Quota exceeded");
		assertThat(problem.get("detail").asString()).isEqualTo("Account acme used its 10 orders of the day");
		assertThat(problem.get("account").asString()).isEqualTo("acme");
		assertThat(problem.get("limits").get("perDay").asInt()).isEqualTo(10);
		assertThat(first.headers().firstValue(HttpHeaders.RETRY_AFTER)).hasValue("3600");
		HttpResponse<String> replay = assertReplayedAlike(first, "/quotas/acme", "urn:test:problem:quota-exceeded");
		assertThat(replay.headers().firstValue(HttpHeaders.RETRY_AFTER)).hasValue("3600");
	}

	@Test
	void aResponseStatusAnnotatedExceptionIsReplayed() {
		String key = UUID.randomUUID().toString();
		HttpResponse<String> first = post("/seats/12A", key);
		HttpResponse<String> replay = post("/seats/12A", key);
		assertThat(this.orders.executions(key)).isEqualTo(1);
		assertThat(first.statusCode()).isEqualTo(409);
		assertThat(replay.statusCode()).isEqualTo(409);
		assertThat(replay.headers().firstValue("Content-Type")).isEqualTo(first.headers().firstValue("Content-Type"));
		// Spring Boot's error page stamps each answer with the time: the rest is the same.
		assertThat(withoutTimestamp(replay.body())).isEqualTo(withoutTimestamp(first.body()));
		assertThat(JSON.readTree(replay.body()).path("message").asString()).as(replay.body())
			.isEqualTo("Seat 12A is taken");
	}

	@Test
	void executeThrowsTheKeptFailureAgainWithItsFields() {
		String key = UUID.randomUUID().toString();
		AtomicInteger runs = new AtomicInteger();
		for (int call = 0; call < 2; call++) {
			assertThatExceptionOfType(RateLimited.class)
				.isThrownBy(() -> this.idempotence.execute("quotes", key, String.class, () -> {
					runs.incrementAndGet();
					throw new RateLimited("Too many quotes for acme", 429);
				}))
				.withMessage("Too many quotes for acme")
				.satisfies((failure) -> assertThat(failure.code).isEqualTo(429));
		}
		assertThat(runs).hasValue(1);
	}

	private HttpResponse<String> assertReplayedAlike(HttpResponse<String> first, String path, String problemType) {
		String key = first.request().headers().firstValue("Idempotency-Key").orElseThrow();
		HttpResponse<String> replay = post(path, key);
		assertThat(this.orders.executions(key)).as("the method ran once").isEqualTo(1);
		assertThat(first.headers().firstValue(MethodCallTransport.REPLAYED_HEADER)).isEmpty();
		assertThat(replay.headers().firstValue(MethodCallTransport.REPLAYED_HEADER)).hasValue("true");
		assertThat(replay.statusCode()).isEqualTo(first.statusCode());
		assertThat(first.headers().firstValue("Content-Type")).hasValue(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		assertThat(replay.headers().firstValue("Content-Type")).isEqualTo(first.headers().firstValue("Content-Type"));
		if (problemType != null) {
			assertThat(JSON.readTree(first.body()).get("type").asString()).isEqualTo(problemType);
		}
		assertThat(replay.body()).isEqualTo(first.body());
		return replay;
	}

	private HttpResponse<String> post(String path) {
		return post(path, UUID.randomUUID().toString());
	}

	private HttpResponse<String> post(String path, String key) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(30))
			.header("Idempotency-Key", key)
			.POST(HttpRequest.BodyPublishers.noBody())
			.build();
		return HttpExchange.send(this.client, request);
	}

	private static JsonNode withoutTimestamp(String body) {
		ObjectNode error = (ObjectNode) JSON.readTree(body);
		assertThat(error.remove("timestamp")).as("Spring Boot's error body").isNotNull();
		return error;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Orders orders() {
			return new Orders();
		}

		@Bean
		ProblemAdvice problemAdvice() {
			return new ProblemAdvice();
		}

	}

	/** A business failure with its own status code; its (String) constructor says 400. */
	static class RateLimited extends RuntimeException {

		final int code;

		RateLimited(String message) {
			this(message, 400);
		}

		RateLimited(String message, int code) {
			super(message);
			this.code = code;
		}

	}

	/** Its one constructor takes the order and formats the message. */
	static class OrderNotFound extends RuntimeException {

		final String orderId;

		OrderNotFound(String orderId) {
			super("Order " + orderId + " not found");
			this.orderId = orderId;
		}

	}

	@ResponseStatus(HttpStatus.CONFLICT)
	static class SeatTaken extends RuntimeException {

		SeatTaken(String seat) {
			super("Seat " + seat + " is taken");
		}

	}

	@RestControllerAdvice
	static class ProblemAdvice {

		@ExceptionHandler(RateLimited.class)
		ResponseEntity<ProblemDetail> rateLimited(RateLimited ex) {
			ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(ex.code), ex.getMessage());
			problem.setType(URI.create("urn:test:problem:rate-limited"));
			problem.setProperty("code", ex.code);
			return ResponseEntity.status(ex.code).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
		}

		@ExceptionHandler(OrderNotFound.class)
		ResponseEntity<ProblemDetail> orderNotFound(OrderNotFound ex) {
			ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
			problem.setType(URI.create("urn:test:problem:order-not-found"));
			problem.setProperty("orderId", ex.orderId);
			return ResponseEntity.status(HttpStatus.NOT_FOUND).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
		}

	}

	@RestController
	static class Orders {

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		// A method, not the field: the bean is a proxy.
		public int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

		private void count(String key) {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		@PostMapping("/rate-limited")
		@Idempotent(name = "rate-limited", key = "#key")
		public String rateLimited(@RequestHeader("Idempotency-Key") String key) {
			count(key);
			throw new RateLimited("Too many orders for acme", 429);
		}

		@PostMapping("/orders/{id}")
		@Idempotent(name = "order", key = "#key", keepOn = OrderNotFound.class)
		public String order(@PathVariable String id,
				@RequestHeader("Idempotency-Key") String key) {
			count(key);
			throw new OrderNotFound(id);
		}

		@PostMapping("/offers/{id}")
		@Idempotent(name = "offer", key = "#key", keepOn = ResponseStatusException.class)
		public String offer(@PathVariable String id,
				@RequestHeader("Idempotency-Key") String key) {
			count(key);
			throw new ResponseStatusException(HttpStatus.GONE, "Offer " + id + " expired");
		}

		@PostMapping("/quotas/{account}")
		@Idempotent(name = "quota", key = "#key", keepOn = ErrorResponseException.class)
		public String quota(@PathVariable String account,
				@RequestHeader("Idempotency-Key") String key) {
			count(key);
			ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS,
					"Account " + account + " used its 10 orders of the day");
			problem.setType(URI.create("urn:test:problem:quota-exceeded"));
			problem.setTitle("Quota exceeded");
			problem.setProperty("account", account);
			problem.setProperty("limits", Map.of("perDay", 10, "windows", List.of("day")));
			ErrorResponseException failure = new ErrorResponseException(HttpStatus.TOO_MANY_REQUESTS, problem, null);
			failure.getHeaders().set(HttpHeaders.RETRY_AFTER, "3600");
			throw failure;
		}

		@PostMapping("/seats/{seat}")
		@Idempotent(name = "seat", key = "#key", keepOn = SeatTaken.class)
		public String seat(@PathVariable String seat,
				@RequestHeader("Idempotency-Key") String key) {
			count(key);
			throw new SeatTaken(seat);
		}

	}

}
