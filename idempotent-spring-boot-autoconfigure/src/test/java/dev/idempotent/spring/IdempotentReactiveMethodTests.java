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
package dev.idempotent.spring;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link Idempotent} on methods that return a {@code Mono} or a {@code Flux}, through the
 * auto-configured proxy, on a real Redis reached through a proxy the tests can cut. Each method's
 * publisher waits on a gate the test opens; executions are counted when a publisher is subscribed to,
 * which is when its work runs.
 */
@SpringBootTest(classes = IdempotentReactiveMethodTests.App.class, properties = "idempotent.store.timeout=500ms")
class IdempotentReactiveMethodTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("spring.data.redis.timeout", () -> "1s");
		registry.add("idempotent.key-prefix", () -> "reactive-test-" + UUID.randomUUID() + ":");
	}

	@AfterAll
	static void closeProxy() {
		redisProxy.close();
	}

	@Autowired
	private Payments payments;

	@Autowired
	private IdempotenceService idempotence;

	@Test
	void nothingIsClaimedUntilTheAnswerIsSubscribedTo() {
		String key = newKey();
		this.payments.open(key);
		Mono<Receipt> answer = this.payments.pay(key, 10);
		assertThat(this.idempotence.find("pay", null, key)).as("assembling claims nothing").isEmpty();
		assertThat(this.payments.executions(key)).isZero();
		assertThat(answer.block(WAIT)).isEqualTo(new Receipt(key, 10));
		assertThat(this.idempotence.find("pay", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		assertThat(answer.block(WAIT)).as("subscribing again replays").isEqualTo(new Receipt(key, 10));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void thirtyTwoConcurrentSubscribersWithOneKeyRunOnceAndAllGetTheSameValue() throws Exception {
		String key = newKey();
		Thread opener = new Thread(() -> {
			Poll.until("the first call runs", () -> this.payments.executions(key) == 1);
			this.payments.open(key);
		});
		opener.start();
		List<Receipt> receipts = ConcurrentCallers.race(32, () -> this.payments.pay(key, 3).block(WAIT));
		opener.join();
		assertThat(receipts).hasSize(32).containsOnly(new Receipt(key, 3));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void onRedisTheValueIsStoredWithNoThreadWaitingForRedis() throws Exception {
		String key = newKey();
		AtomicReference<String> handedOnAt = new AtomicReference<>();
		CompletableFuture<Receipt> received = this.payments.pay(key, 7)
			.doOnNext((receipt) -> handedOnAt.set(Thread.currentThread().getName()))
			.toFuture();
		Poll.until("the call runs", () -> this.payments.executions(key) == 1);
		this.payments.open(key);
		assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(new Receipt(key, 7));
		assertThat(isCompleted("pay", key)).as("handed on once stored").isTrue();
		// Handed on where Redis's answer to the write arrived (or here, if it was there first), never from a
		// thread that waited for it.
		assertThat(handedOnAt.get()).doesNotStartWith("idempotent-completion").doesNotStartWith("boundedElastic");
	}

	@Test
	void aFluxIsReplayedElementForElementWithItsElementType() {
		String key = newKey();
		this.payments.open(key);
		List<Receipt> first = this.payments.settle(key).collectList().block(WAIT);
		List<Receipt> replay = this.payments.settle(key).collectList().block(WAIT);
		assertThat(first).containsExactly(new Receipt(key, 1), new Receipt(key, 2), new Receipt(key, 3));
		assertThat(replay).isEqualTo(first).allSatisfy((receipt) -> assertThat(receipt).isInstanceOf(Receipt.class));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void anEmptyMonoIsStoredAndReplayedAsEmpty() {
		String key = newKey();
		this.payments.open(key);
		assertThat(this.payments.nothing(key).blockOptional(WAIT)).isEmpty();
		assertThat(this.payments.nothing(key).blockOptional(WAIT)).isEmpty();
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void aMethodThatReturnsNullRatherThanAMonoAnswersEmptyOnceAndIsReplayedSo() {
		String key = newKey();
		assertThat(this.payments.none(key).blockOptional(WAIT)).isEmpty();
		assertThat(this.payments.none(key).blockOptional(WAIT)).isEmpty();
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void aKeptFailureIsReplayedAndAReleasedOneLetsTheRetryRun() {
		String declined = newKey();
		this.payments.open(declined);
		assertThatExceptionOfType(Declined.class).isThrownBy(() -> this.payments.charge(declined, "DECLINED").block(WAIT))
			.withMessage("card declined");
		assertThatExceptionOfType(Declined.class).as("replayed, not run again")
			.isThrownBy(() -> this.payments.charge(declined, "DECLINED").block(WAIT))
			.withMessage("card declined");
		assertThat(this.payments.executions(declined)).isEqualTo(1);

		String down = newKey();
		this.payments.open(down);
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> this.payments.charge(down, "DOWN").block(WAIT))
			.withMessage("gateway down");
		assertThat(this.idempotence.find("charge", null, down)).as("released").isEmpty();
		assertThat(this.payments.charge(down, "OK").block(WAIT)).isEqualTo(new Receipt(down, 1));
		assertThat(this.payments.executions(down)).isEqualTo(2);
	}

	@Test
	void storeDownSignalsAnErrorAndThePublisherIsNeverSubscribedTo() {
		String key = newKey();
		this.payments.open(key);
		redisProxy.cut();
		try {
			assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
				.isThrownBy(() -> this.payments.pay(key, 5).block(WAIT));
			assertThat(this.payments.executions(key)).isZero();
		}
		finally {
			redisProxy.restore();
		}
		Poll.until("Redis answers again", this::redisAnswers);
		assertThat(this.payments.pay(key, 5).block(WAIT)).isEqualTo(new Receipt(key, 5));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void aSubscriberThatCancelsAfterTheClaimLeavesTheWorkRunningAndItsOutcomeIsStored() {
		String key = newKey();
		Disposable subscription = this.payments.charge(key, "OK").subscribe();
		Poll.until("the call claims its key and runs", () -> this.payments.executions(key) == 1);
		subscription.dispose();
		assertThatExceptionOfType(RequestInProgressException.class).as("the claim holds after the cancellation")
			.isThrownBy(() -> this.payments.charge(key, "OK").block(WAIT));
		this.payments.open(key);
		Poll.until("the work completes and its outcome is stored", () -> isCompleted("charge", key));
		assertThat(this.payments.charge(key, "OK").block(WAIT)).as("replayed, not run again")
			.isEqualTo(new Receipt(key, 1));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	private boolean isCompleted(String operation, String key) {
		return this.idempotence.find(operation, null, key)
			.filter((record) -> record.state() == RecordState.COMPLETED)
			.isPresent();
	}

	private boolean redisAnswers() {
		try {
			this.idempotence.find("pay", null, "probe");
			return true;
		}
		catch (IdempotencyStorageUnavailableException ex) {
			return false;
		}
	}

	private static String newKey() {
		return UUID.randomUUID().toString();
	}

	record Receipt(String key, int amount) {
	}

	static class Declined extends RuntimeException {

		Declined(String message) {
			super(message);
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Payments payments() {
			return new Payments();
		}

	}

	static class Payments {

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		private final Map<String, Sinks.One<Boolean>> gates = new ConcurrentHashMap<>();

		@Idempotent(name = "pay", key = "#key", awaitCompletion = "30s")
		public Mono<Receipt> pay(String key, int amount) {
			return gate(key).map((opened) -> new Receipt(key, amount));
		}

		@Idempotent(name = "settle", key = "#key")
		public Flux<Receipt> settle(String key) {
			return gate(key).flatMapMany((opened) -> Flux.range(1, 3).map((i) -> new Receipt(key, i)));
		}

		@Idempotent(name = "nothing", key = "#key")
		public Mono<Receipt> nothing(String key) {
			return gate(key).then(Mono.empty());
		}

		@Idempotent(name = "none", key = "#key")
		public Mono<Receipt> none(String key) {
			count(key);
			return null;
		}

		@Idempotent(name = "charge", key = "#key", keepOn = Declined.class)
		public Mono<Receipt> charge(String key, String card) {
			return gate(key).map((opened) -> switch (card) {
				case "DECLINED" -> throw new Declined("card declined");
				case "DOWN" -> throw new IllegalStateException("gateway down");
				default -> new Receipt(key, 1);
			});
		}

		void open(String key) {
			sink(key).tryEmitValue(true);
		}

		// Waits for the gate; its work counts as run when it is subscribed to.
		private Mono<Boolean> gate(String key) {
			return sink(key).asMono().doOnSubscribe((subscription) -> count(key));
		}

		private Sinks.One<Boolean> sink(String key) {
			return this.gates.computeIfAbsent(key, (k) -> Sinks.one());
		}

		private void count(String key) {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

	}

}
