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

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

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
 * {@link Idempotent} on methods that return a {@link CompletableFuture} or {@link CompletionStage},
 * through the auto-configured proxy, on a real Redis reached through a proxy the tests can cut. Each
 * method's future waits on a gate the test opens, and completes on a thread of the service's own
 * executor.
 */
@SpringBootTest(classes = IdempotentFutureMethodTests.App.class, properties = "idempotent.store.timeout=500ms")
class IdempotentFutureMethodTests {

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("spring.data.redis.timeout", () -> "1s");
		registry.add("idempotent.key-prefix", () -> "future-test-" + UUID.randomUUID() + ":");
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
	void thirtyTwoConcurrentCallersWithOneKeyRunOnceAndAllGetTheSameValue() throws Exception {
		String key = newKey();
		CompletableFuture<List<Receipt>> race = CompletableFuture.supplyAsync(() -> {
			try {
				return ConcurrentCallers.race(32, () -> this.payments.pay(key, 10).get(30, TimeUnit.SECONDS));
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		Poll.until("the first call claims its key and runs", () -> this.payments.executions(key) == 1
				&& this.idempotence.find("pay", null, key).isPresent());
		this.payments.open(key);
		List<Receipt> receipts = race.get(60, TimeUnit.SECONDS);
		assertThat(receipts).hasSize(32).containsOnly(new Receipt(key, 10));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void duplicateAfterCompletionGetsACompletedReplayOfTheValue() throws Exception {
		String key = newKey();
		this.payments.open(key);
		CompletableFuture<Receipt> first = this.payments.pay(key, 25);
		assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo(new Receipt(key, 25));
		assertThat(this.idempotence.find("pay", null, key)).as("stored before the caller's future completed")
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		CompletableFuture<Receipt> replay = this.payments.pay(key, 25);
		assertThat(replay).as("answered without running").isDone();
		assertThat(replay.get()).isEqualTo(new Receipt(key, 25)).isInstanceOf(Receipt.class);
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void futureCompletingAfterSeveralLeasesKeepsItsClaim() throws Exception {
		String key = newKey();
		CompletionStage<List<Receipt>> first = this.payments.settle(key);
		// The lease is 1.5 s: watch the claim through three and a half of them.
		long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5250);
		while (System.nanoTime() < until) {
			assertThat(this.idempotence.find("settle", null, key))
				.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.IN_PROGRESS));
			Thread.sleep(100);
		}
		assertThatExceptionOfType(RequestInProgressException.class).as("thrown at once, as by a plain method")
			.isThrownBy(() -> this.payments.settle(key));
		this.payments.open(key);
		List<Receipt> settled = List.of(new Receipt(key, 1), new Receipt(key, 2));
		assertThat(first.toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo(settled);
		assertThat(this.payments.settle(key).toCompletableFuture().get()).as("replayed with its generic type")
			.isEqualTo(settled)
			.allSatisfy((receipt) -> assertThat(receipt).isInstanceOf(Receipt.class));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void failedFutureWithAKeptFailureIsReplayedAsTheSameFailure() throws Exception {
		String key = newKey();
		this.payments.open(key);
		CompletableFuture<Receipt> first = this.payments.charge(key, "DECLINED");
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> first.get(30, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOf(Declined.class)
			.withMessage("card declined");
		CompletableFuture<Receipt> replay = this.payments.charge(key, "DECLINED");
		assertThat(replay).isCompletedExceptionally();
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(replay::get)
			.havingCause()
			.isInstanceOf(Declined.class)
			.withMessage("card declined");
		assertThat(this.payments.executions(key)).isEqualTo(1);
		assertThat(this.idempotence.find("charge", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
	}

	@Test
	void failedFutureWithAReleasedFailureLetsTheRetryRun() throws Exception {
		String key = newKey();
		this.payments.open(key);
		CompletableFuture<Receipt> first = this.payments.charge(key, "DOWN");
		assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> first.get(30, TimeUnit.SECONDS))
			.havingCause()
			.isInstanceOf(IllegalStateException.class)
			.withMessage("gateway down");
		assertThat(this.idempotence.find("charge", null, key)).as("released").isEmpty();
		CompletableFuture<Receipt> retry = this.payments.charge(key, "OK");
		assertThat(retry.get(30, TimeUnit.SECONDS)).isEqualTo(new Receipt(key, 1));
		assertThat(this.payments.executions(key)).isEqualTo(2);
	}

	@Test
	void storeDownFailsTheCallAtOnceAndTheMethodNeverRuns() throws Exception {
		String key = newKey();
		this.payments.open(key);
		redisProxy.cut();
		try {
			assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
				.isThrownBy(() -> this.payments.pay(key, 5));
			assertThat(this.payments.executions(key)).isZero();
		}
		finally {
			redisProxy.restore();
		}
		Poll.until("Redis answers again", this::redisAnswers);
		assertThat(this.payments.pay(key, 5).get(30, TimeUnit.SECONDS)).isEqualTo(new Receipt(key, 5));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void storeHangingWhenTheFutureCompletesHoldsItsThreadNoLongerThanAStoreCall() throws Exception {
		String key = newKey();
		CompletableFuture<Receipt> first = this.payments.pay(key, 7);
		Poll.until("the first call claims its key", () -> this.idempotence.find("pay", null, key).isPresent());
		redisProxy.pause();
		try {
			this.payments.open(key);
			// Redis answers nothing: the caller has its value after one timed-out store call (500 ms), not after
			// retries for as long as the lease (30 s) holds, nor once Redis is back.
			assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(new Receipt(key, 7));
		}
		finally {
			redisProxy.resume();
		}
		// The outcome is stored in the background once Redis is back, while the lease holds.
		Poll.until("the outcome is stored", () -> isCompleted("pay", key));
		assertThat(this.payments.pay(key, 7).get()).isEqualTo(new Receipt(key, 7));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void cancellingTheCallersFutureLeavesTheWorkRunningAndItsOutcomeIsStored() throws Exception {
		String key = newKey();
		CompletableFuture<Receipt> first = this.payments.charge(key, "OK");
		assertThat(first.cancel(true)).isTrue();
		assertThatExceptionOfType(RequestInProgressException.class).as("the claim holds after the cancellation")
			.isThrownBy(() -> this.payments.charge(key, "OK"));
		this.payments.open(key);
		Poll.until("the work completes and its outcome is stored", () -> isCompleted("charge", key));
		assertThat(this.payments.charge(key, "OK").get()).as("replayed, not run again").isEqualTo(new Receipt(key, 1));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	@Test
	void methodsOwnFutureCancelledCompletesTheKeyWithoutAnOutcomeSoItNeverRunsAgain() throws Exception {
		String key = newKey();
		CompletableFuture<Receipt> first = this.payments.pay(key, 4);
		Poll.until("the first call claims its key", () -> this.idempotence.find("pay", null, key).isPresent());
		this.payments.cancel(key);
		assertThatExceptionOfType(CancellationException.class).isThrownBy(() -> first.get(30, TimeUnit.SECONDS));
		assertThat(this.idempotence.find("pay", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		assertThatExceptionOfType(ReplayUnavailableException.class).isThrownBy(() -> this.payments.pay(key, 4));
		assertThat(this.payments.executions(key)).isEqualTo(1);
	}

	private boolean isCompleted(String operation, String key) {
		try {
			return this.idempotence.find(operation, null, key)
				.filter((record) -> record.state() == RecordState.COMPLETED)
				.isPresent();
		}
		catch (IdempotencyStorageUnavailableException ex) {
			return false;
		}
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

		@Bean(destroyMethod = "close")
		Payments payments() {
			return new Payments();
		}

	}

	static class Payments implements AutoCloseable {

		private final ExecutorService executor = Executors.newFixedThreadPool(4);

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		private final Map<String, CompletableFuture<Void>> gates = new ConcurrentHashMap<>();

		@Idempotent(name = "pay", key = "#key", awaitCompletion = "30s")
		public CompletableFuture<Receipt> pay(String key, int amount) {
			count(key);
			return gate(key).thenApplyAsync((opened) -> new Receipt(key, amount), this.executor);
		}

		@Idempotent(name = "settle", key = "#key", lease = "1500ms")
		public CompletionStage<List<Receipt>> settle(String key) {
			count(key);
			return gate(key).thenApplyAsync((opened) -> List.of(new Receipt(key, 1), new Receipt(key, 2)),
					this.executor);
		}

		@Idempotent(name = "charge", key = "#key", keepOn = Declined.class)
		public CompletableFuture<Receipt> charge(String key, String card) {
			count(key);
			return gate(key).thenApplyAsync((opened) -> switch (card) {
				case "DECLINED" -> throw new Declined("card declined");
				case "DOWN" -> throw new IllegalStateException("gateway down");
				default -> new Receipt(key, 1);
			}, this.executor);
		}

		void open(String key) {
			gate(key).complete(null);
		}

		void cancel(String key) {
			gate(key).cancel(false);
		}

		private CompletableFuture<Void> gate(String key) {
			return this.gates.computeIfAbsent(key, (k) -> new CompletableFuture<>());
		}

		private void count(String key) {
			this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

		@Override
		public void close() {
			this.executor.shutdownNow();
		}

	}

}
