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
package dev.idempotent.spring.web.reactive;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.HttpExchange;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.ResponseEntity;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.WebFilter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link Idempotent} WebFlux handlers that return a {@code Mono} or a {@code Flux}, over real HTTP on
 * a Reactor Netty server, against a real Redis reached through a proxy the tests can cut. BlockHound
 * is installed: a store call made on an event loop fails the request it serves. The caller is named
 * by an {@code X-User} header, which a filter turns into the reactive security context.
 */
@SpringBootTest(classes = WebFluxHandlerHttpTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "spring.main.web-application-type=reactive", "idempotent.store.timeout=500ms",
				"idempotent.token.endpoint.enabled=true" })
class WebFluxHandlerHttpTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final String PREFIX = "webflux-test-" + UUID.randomUUID() + ":";

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	@BeforeAll
	static void blockHound() {
		// Locks held for a field's read or write, which only wait when two threads meet there: a random
		// UUID's entropy source, Lettuce counting the writers of a connection, Spring Data Redis handing out
		// its shared connection. No I/O is waited for.
		BlockHound.install((builder) -> builder.allowBlockingCallsInside(UUID.class.getName(), "randomUUID")
			.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "incrementWriters")
			.allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "decrementWriters")
			.allowBlockingCallsInside("org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory",
					"getSharedConnection"));
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("spring.data.redis.timeout", () -> "1s");
		registry.add("idempotent.key-prefix", () -> PREFIX);
	}

	@AfterAll
	static void closeProxy() {
		redisProxy.close();
	}

	private final HttpClient client = HttpClient.newHttpClient();

	@LocalServerPort
	private int port;

	@Autowired
	private Orders orders;

	@Autowired
	private StringRedisTemplate redis;

	@Test
	void blockingOnAnEventLoopFailsInTheseTests() {
		assertThatExceptionOfType(RuntimeException.class)
			.isThrownBy(() -> Mono.fromRunnable(WebFluxHandlerHttpTests::sleepBriefly)
				.subscribeOn(Schedulers.parallel())
				.block())
			.satisfies((ex) -> assertThat(ex).hasRootCauseInstanceOf(BlockingOperationError.class));
	}

	@Test
	void aRetryGetsTheSameStatusAndBodyMarkedAsAReplayAndTheOrderIsCreatedOnce() throws Exception {
		String key = newKey();
		HttpResponse<String> first = post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":2}");
		HttpResponse<String> retry = post("alice", "/orders", key, "{ \"quantity\": 2, \"sku\": \"book\" }");
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(retry.headers().firstValue("Location")).isEqualTo(first.headers().firstValue("Location"));
		assertThat(JSON.readTree(retry.body())).isEqualTo(JSON.readTree(first.body()));
		assertThat(JSON.readTree(first.body()).get("owner").asString()).isEqualTo("alice");
		assertThat(this.orders.executions(key)).isEqualTo(1);
	}

	@Test
	void thirtyTwoConcurrentDuplicatesRunTheHandlerOnce() throws Exception {
		String key = newKey();
		List<HttpResponse<String>> responses = ConcurrentCallers.race(32,
				() -> post("alice", "/orders", key, "{\"sku\":\"pen\",\"quantity\":1,\"processingMillis\":300}"));
		assertThat(this.orders.executions(key)).isEqualTo(1);
		assertThat(responses).allSatisfy((response) -> {
			if (response.statusCode() == 409) {
				assertProblem(response, 409, "request-in-progress");
				assertThat(response.headers().firstValue("Retry-After")).isPresent();
			}
			else {
				assertThat(response.statusCode()).isEqualTo(201);
			}
		});
		assertThat(responses).filteredOn((response) -> response.statusCode() == 201)
			.filteredOn((response) -> response.headers().firstValue("Idempotent-Replayed").isEmpty())
			.hasSize(1);
		HttpResponse<String> after = post("alice", "/orders", key, "{\"sku\":\"pen\",\"quantity\":1,\"processingMillis\":300}");
		assertThat(after.statusCode()).isEqualTo(201);
		assertThat(after.headers().firstValue("Idempotent-Replayed")).hasValue("true");
	}

	@Test
	void aFluxIsReplayedElementForElement() throws Exception {
		String key = newKey();
		String batch = "{\"items\":[{\"sku\":\"a\",\"quantity\":1},{\"sku\":\"b\",\"quantity\":2},{\"sku\":\"c\",\"quantity\":3}]}";
		HttpResponse<String> first = post("bob", "/orders/batch", key, batch);
		HttpResponse<String> retry = post("bob", "/orders/batch", key, batch);
		assertThat(first.statusCode()).isEqualTo(200);
		JsonNode created = JSON.readTree(first.body());
		assertThat(created.size()).isEqualTo(3);
		assertThat(created.get(2).get("sku").asString()).isEqualTo("c");
		assertThat(retry.statusCode()).isEqualTo(200);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(JSON.readTree(retry.body())).isEqualTo(created);
		assertThat(this.orders.executions(key)).isEqualTo(1);
	}

	@Test
	void aDuplicatePaymentIsRejectedWith409() throws Exception {
		String paymentId = "pay-" + UUID.randomUUID();
		String body = "{\"paymentId\":\"" + paymentId + "\",\"amount\":10}";
		assertThat(post("alice", "/payments", null, body).statusCode()).isEqualTo(200);
		assertProblem(post("alice", "/payments", null, body), 409, "duplicate-request");
		assertThat(this.orders.executions(paymentId)).isEqualTo(1);
	}

	@Test
	void onRedisTheCallIsClaimedWithoutMovingToAThreadThatMayBlock() throws Exception {
		String paymentId = "pay-" + UUID.randomUUID();
		assertThat(post("alice", "/payments", null, "{\"paymentId\":\"" + paymentId + "\",\"amount\":3}").statusCode())
			.isEqualTo(200);
		// The handler's publisher is subscribed to where Redis's answer to the claim arrives (Lettuce's thread,
		// or the server's if the answer was there first), never on a thread moved to for blocking.
		assertThat(this.orders.paymentThreads()).isNotEmpty()
			.noneMatch((thread) -> thread.startsWith("boundedElastic"));
	}

	@Test
	void theSameKeyFromTwoUsersIsTwoOrders() throws Exception {
		String key = newKey();
		HttpResponse<String> alice = post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":1}");
		HttpResponse<String> bob = post("bob", "/orders", key, "{\"sku\":\"book\",\"quantity\":1}");
		assertThat(alice.statusCode()).isEqualTo(201);
		assertThat(bob.statusCode()).isEqualTo(201);
		assertThat(bob.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(JSON.readTree(bob.body()).get("owner").asString()).isEqualTo("bob");
		assertThat(this.orders.executions(key)).isEqualTo(2);
	}

	@Test
	void missingAndAmbiguousKeysAre400AndStoreNothing() throws Exception {
		String order = "{\"sku\":\"book\",\"quantity\":1}";
		int stored = this.redis.keys(PREFIX + "*").size();
		assertProblem(post("alice", "/orders", null, order), 400, "missing-key");
		String key = newKey();
		HttpRequest twoKeys = request("alice", "/orders", order).header("Idempotency-Key", key)
			.header("Idempotency-Key", key + "-other")
			.build();
		assertProblem(HttpExchange.send(this.client, twoKeys), 400, "invalid-key");
		assertThat(this.orders.executions(key)).isZero();
		assertThat(this.redis.keys(PREFIX + "*")).hasSize(stored);
		assertThat(post("alice", "/orders", key, order).statusCode()).as("the key then works").isEqualTo(201);
	}

	@Test
	void theSameKeyWithAnotherBodyIs422AndTheFirstOrderStillReplays() throws Exception {
		String key = newKey();
		HttpResponse<String> first = post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":1}");
		assertProblem(post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":5}"), 422, "key-reused");
		HttpResponse<String> retry = post("alice", "/orders", key, "{\"sku\":\"book\",\"quantity\":1}");
		assertThat(JSON.readTree(retry.body())).isEqualTo(JSON.readTree(first.body()));
		assertThat(this.orders.executions(key)).isEqualTo(1);
	}

	@Test
	void redisDownIs503AndNothingRunsAndRedisBackRecoversWithoutARestart() throws Exception {
		String key = newKey();
		String order = "{\"sku\":\"book\",\"quantity\":1}";
		redisProxy.cut();
		try {
			HttpResponse<String> refused = post("alice", "/orders", key, order);
			assertProblem(refused, 503, "storage-unavailable");
			assertThat(refused.headers().firstValue("Retry-After")).isPresent();
			assertThat(this.orders.executions(key)).isZero();
		}
		finally {
			redisProxy.restore();
		}
		Poll.until("Redis answers through the proxy again",
				() -> post("alice", "/orders", key, order).statusCode() == 201);
		assertThat(this.orders.executions(key)).isEqualTo(1);
		assertThat(post("alice", "/orders", key, order).headers().firstValue("Idempotent-Replayed")).hasValue("true");
	}

	@Test
	void aTokenIssuedToACallerIsConsumedByOneCallOfThatCaller() throws Exception {
		HttpResponse<String> issued = post("alice", "/idempotency-tokens?operation=notes", null, "");
		assertThat(issued.statusCode()).isEqualTo(201);
		assertThat(issued.headers().firstValue("Cache-Control")).hasValue("no-store");
		String token = JSON.readTree(issued.body()).get("token").asString();
		assertProblem(post("bob", "/notes", token, "{}"), 400, "invalid-token");
		assertThat(post("alice", "/notes", token, "{}").statusCode()).isEqualTo(200);
		HttpResponse<String> again = post("alice", "/notes", token, "{}");
		assertThat(again.statusCode()).isEqualTo(200);
		assertThat(again.headers().firstValue("Idempotent-Replayed")).as("a replay, not a second run").hasValue("true");
		assertThat(this.orders.executions(token)).isEqualTo(1);
		assertProblem(post("alice", "/idempotency-tokens?operation=orders", null, ""), 400, "unknown-operation");
	}

	@Test
	void aReactiveRequestBodyIsRefusedWithAnErrorThatSaysWhatToDeclare() throws Exception {
		String key = newKey();
		HttpResponse<String> refused = post("alice", "/streamed-body", key, "{\"sku\":\"book\",\"quantity\":1}");
		assertThat(refused.statusCode()).isEqualTo(500);
		assertThat(this.orders.executions(key)).isZero();
	}

	@Test
	void aHandlerThatDoesNotReturnAPublisherIsRefusedAtItsFirstCall() {
		new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, JacksonAutoConfiguration.class,
					AopAutoConfiguration.class))
			.withPropertyValues("idempotent.store.type=in-memory")
			.withUserConfiguration(BlockingHandler.class)
			.run((context) -> assertThatExceptionOfType(IllegalStateException.class)
				.isThrownBy(() -> context.getBean(BlockingHandler.class).create("{}"))
				.withMessageContaining("must return a Mono or a Flux")
				.withMessageContaining("BlockingHandler.create"));
	}

	private static void assertProblem(HttpResponse<String> response, int status, String type) {
		assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(JSON.readTree(response.body()).get("type").asString()).isEqualTo("urn:idempotent:problem:" + type);
	}

	private HttpResponse<String> post(String user, String path, String key, String body) {
		HttpRequest.Builder request = request(user, path, body);
		if (key != null) {
			request.header("Idempotency-Key", key);
		}
		return HttpExchange.send(this.client, request.build());
	}

	private HttpRequest.Builder request(String user, String path, String body) {
		return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("X-User", user)
			.POST(HttpRequest.BodyPublishers.ofString(body));
	}

	private static String newKey() {
		return "key-" + UUID.randomUUID();
	}

	private static void sleepBriefly() {
		try {
			Thread.sleep(1);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	record CreateOrder(String sku, int quantity, @Nullable Long processingMillis) {

		Duration processing() {
			return Duration.ofMillis((this.processingMillis != null) ? this.processingMillis : 0);
		}

	}

	record Order(String id, String sku, int quantity, String owner) {
	}

	record Batch(List<CreateOrder> items) {
	}

	record Payment(String paymentId, long amount) {
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Orders orders() {
			return new Orders();
		}

		// The caller, as an authentication filter would set it.
		@Bean
		WebFilter userFromHeader() {
			return (exchange, chain) -> {
				String user = exchange.getRequest().getHeaders().getFirst("X-User");
				if (user == null) {
					return chain.filter(exchange);
				}
				return chain.filter(exchange)
					.contextWrite(ReactiveSecurityContextHolder.withAuthentication(
							UsernamePasswordAuthenticationToken.authenticated(user, null, List.of())));
			};
		}

	}

	@RestController
	static class Orders {

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		private final List<String> paymentThreads = new CopyOnWriteArrayList<>();

		@PostMapping("/orders")
		@Idempotent(name = "orders")
		Mono<ResponseEntity<Order>> create(@RequestBody CreateOrder request,
				@RequestHeader(name = "Idempotency-Key", required = false) String key) {
			return ReactiveSecurityContextHolder.getContext()
				.map((security) -> security.getAuthentication().getName())
				.delayElement(request.processing())
				.map((owner) -> {
					Order order = new Order(UUID.randomUUID().toString(), request.sku(), request.quantity(), owner);
					return ResponseEntity.created(URI.create("/orders/" + order.id())).body(order);
				})
				.doOnSubscribe((subscription) -> executed(key));
		}

		@PostMapping("/orders/batch")
		@Idempotent(name = "orders-batch")
		Flux<Order> batch(@RequestBody Batch batch, @RequestHeader(name = "Idempotency-Key", required = false) String key) {
			return Flux.fromIterable(batch.items())
				.map((item) -> new Order(UUID.randomUUID().toString(), item.sku(), item.quantity(), "batch"))
				.doOnSubscribe((subscription) -> executed(key));
		}

		@PostMapping("/streamed-body")
		@Idempotent(name = "streamed-body")
		Mono<String> streamed(@RequestBody Mono<CreateOrder> request,
				@RequestHeader(name = "Idempotency-Key", required = false) String key) {
			return request.map((order) -> {
				executed(key);
				return order.sku();
			});
		}

		@PostMapping("/notes")
		@Idempotent(name = "notes", token = true)
		Mono<String> note(@RequestHeader(name = "Idempotency-Key", required = false) String key) {
			return Mono.fromSupplier(() -> {
				executed(key);
				return "noted";
			});
		}

		@PostMapping("/payments")
		@Idempotent(name = "payments", key = "#request.paymentId", onDuplicate = DuplicatePolicy.REJECT)
		Mono<Payment> pay(@RequestBody Payment request) {
			return Mono.fromSupplier(() -> {
				this.paymentThreads.add(Thread.currentThread().getName());
				executed(request.paymentId());
				return request;
			});
		}

		private void executed(String key) {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		List<String> paymentThreads() {
			return this.paymentThreads;
		}

		int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

	}

	@RestController
	static class BlockingHandler {

		@PostMapping("/blocking")
		@Idempotent
		String create(@RequestBody String body) {
			return body;
		}

	}

}
