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
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.IdempotencyKeyReusedException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.servers.TestRedis;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.ParameterizedTypeReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@link IdempotenceService#execute} for code without an annotated method, through the
 * auto-configuration on a real Redis: the same claim, replay, failure policy and metrics as
 * {@code @Idempotent}.
 */
class IdempotenceServiceExecuteTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataRedisAutoConfiguration.class,
				JacksonAutoConfiguration.class))
		.withUserConfiguration(Metrics.class)
		.withPropertyValues("spring.data.redis.host=" + TestRedis.endpoint().host(),
				"spring.data.redis.port=" + TestRedis.endpoint().port(),
				"idempotent.key-prefix=execute-test-" + UUID.randomUUID() + ":",
				"idempotent.keep-on=" + PaymentDeclined.class.getName());

	private final AtomicInteger runs = new AtomicInteger();

	@Test
	void aDuplicateGetsTheFirstResultBackWithoutRunningTheWork() {
		this.runner.run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			Receipt first = idempotence.execute("payouts", "payout-1", Receipt.class, () -> pay("payout-1", 120));
			Receipt again = idempotence.execute("payouts", "payout-1", Receipt.class, () -> pay("payout-1", 999));
			assertThat(again).isEqualTo(first).isEqualTo(new Receipt("payout-1", 120, 1));
			assertThat(this.runs).hasValue(1);
			assertThat(idempotence.execute("refunds", "payout-1", Receipt.class, () -> pay("payout-1", 5)))
				.as("another operation, another key")
				.isEqualTo(new Receipt("payout-1", 5, 2));
			MeterRegistry meters = context.getBean(MeterRegistry.class);
			assertThat(count(meters, "payouts", "executed")).isEqualTo(1);
			assertThat(count(meters, "payouts", "replayed")).isEqualTo(1);
		});
	}

	@Test
	void aGenericResultIsReadBackWithItsTypeArguments() {
		this.runner.run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			ParameterizedTypeReference<List<Receipt>> receipts = new ParameterizedTypeReference<>() {
			};
			List<Receipt> first = idempotence.execute("batches", "batch-1", receipts,
					() -> List.of(pay("batch-1-a", 10), pay("batch-1-b", 20)));
			List<Receipt> again = idempotence.execute("batches", "batch-1", receipts, () -> List.of(pay("other", 1)));
			assertThat(again).isEqualTo(first)
				.containsExactly(new Receipt("batch-1-a", 10, 1), new Receipt("batch-1-b", 20, 2))
				.allSatisfy((receipt) -> assertThat(receipt).isInstanceOf(Receipt.class));
			assertThat(this.runs).hasValue(2);
			idempotence.execute("batches", "batch-2", "items=1", receipts, List::of);
			assertThatExceptionOfType(IdempotencyKeyReusedException.class)
				.isThrownBy(() -> idempotence.execute("batches", "batch-2", "items=2", receipts, List::of));
		});
	}

	@Test
	void concurrentDuplicatesRunTheWorkOnce() {
		this.runner.run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			// The work that runs waits until every other caller was answered, so all of them meet it running.
			CountDownLatch othersAnswered = new CountDownLatch(15);
			List<String> answers = ConcurrentCallers.race(16, () -> {
				try {
					return idempotence.execute("payouts", "payout-race", Receipt.class, () -> {
						awaitOthers(othersAnswered);
						return pay("payout-race", 7);
					}).id();
				}
				catch (RequestInProgressException ex) {
					othersAnswered.countDown();
					return "in progress";
				}
			});
			assertThat(this.runs).hasValue(1);
			assertThat(answers).containsOnlyOnce("payout-race").filteredOn("in progress"::equals).hasSize(15);
		});
	}

	@Test
	void aKeptFailureIsThrownAgainAndAReleasedOneLetsTheRetryRun() {
		this.runner.run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			assertThatExceptionOfType(PaymentDeclined.class)
				.isThrownBy(() -> idempotence.execute("payouts", "declined", Receipt.class, () -> {
					this.runs.incrementAndGet();
					throw new PaymentDeclined("card declined");
				}));
			assertThatExceptionOfType(PaymentDeclined.class)
				.isThrownBy(() -> idempotence.execute("payouts", "declined", Receipt.class, () -> pay("declined", 1)))
				.withMessage("card declined");
			assertThat(this.runs).as("the kept failure is the answer").hasValue(1);

			assertThatExceptionOfType(IllegalStateException.class)
				.isThrownBy(() -> idempotence.execute("payouts", "gateway-down", Receipt.class, () -> {
					this.runs.incrementAndGet();
					throw new IllegalStateException("gateway timed out");
				}));
			assertThat(idempotence.execute("payouts", "gateway-down", Receipt.class, () -> pay("gateway-down", 3)))
				.as("a system failure released the key: the retry runs")
				.isEqualTo(new Receipt("gateway-down", 3, 3));
		});
	}

	@Test
	void aKeyReusedForOtherWorkIsRefusedAndAMissingKeyToo() {
		this.runner.run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			idempotence.execute("payouts", "payout-fp", "amount=10", Receipt.class, () -> pay("payout-fp", 10));
			assertThatExceptionOfType(IdempotencyKeyReusedException.class).isThrownBy(() -> idempotence
				.execute("payouts", "payout-fp", "amount=20", Receipt.class, () -> pay("payout-fp", 20)));
			assertThatExceptionOfType(MissingIdempotencyKeyException.class)
				.isThrownBy(() -> idempotence.execute("payouts", null, Receipt.class, () -> pay("none", 1)));
			assertThat(this.runs).hasValue(1);
		});
	}

	@Test
	void workThatReturnsNothingSaysWhetherItRan() {
		this.runner.run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			List<String> sent = new CopyOnWriteArrayList<>();
			assertThat(idempotence.execute("mails", "welcome-42", () -> sent.add("welcome-42"))).isTrue();
			assertThat(idempotence.execute("mails", "welcome-42", () -> sent.add("welcome-42"))).isFalse();
			assertThat(sent).containsExactly("welcome-42");
		});
	}

	@Test
	void aStoreThatFailsRunsNothing() {
		this.runner.withPropertyValues("spring.data.redis.port=" + TestRedis.freePort()).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
				.isThrownBy(() -> idempotence.execute("payouts", "payout-2", Receipt.class, () -> pay("payout-2", 1)));
			assertThat(this.runs).hasValue(0);
		});
	}

	private static void awaitOthers(CountDownLatch othersAnswered) {
		try {
			assertThat(othersAnswered.await(30, TimeUnit.SECONDS)).as("the other callers were answered").isTrue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private Receipt pay(String id, int amount) {
		return new Receipt(id, amount, this.runs.incrementAndGet());
	}

	private static double count(MeterRegistry meters, String operation, String outcome) {
		return meters.get("idempotency.requests").tags("operation", operation, "outcome", outcome).timer().count();
	}

	record Receipt(String id, int amount, int run) {
	}

	public static class PaymentDeclined extends RuntimeException {

		public PaymentDeclined(String message) {
			super(message);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Metrics {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

		@Bean
		ObservationRegistry observationRegistry(MeterRegistry meters) {
			ObservationRegistry registry = ObservationRegistry.create();
			registry.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
			return registry;
		}

	}

}
