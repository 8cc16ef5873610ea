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
package dev.idempotent.spring.observation;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.IdempotencyKeyReusedException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.FaultInjectingIdempotencyStore;
import dev.idempotent.test.Poll;
import io.micrometer.common.KeyValues;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.ObservationView;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Calls of {@code @Idempotent} methods and their store round trips as Micrometer observations, through
 * the auto-configuration, measured by a real meter registry.
 */
class IdempotencyObservationTests {

	private static final String STORE_OBSERVED = "idempotent.store.observations=true";

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, AopAutoConfiguration.class,
				JacksonAutoConfiguration.class))
		.withPropertyValues("idempotent.max-outcome-size=64B")
		.withUserConfiguration(Service.class);

	@Test
	void eachCallIsCountedByOperationAndOutcome() {
		// The store's observations tell when a completion retried in the background got through.
		this.runner.withUserConfiguration(Metrics.class).withPropertyValues(STORE_OBSERVED).run((context) -> {
			Orders orders = context.getBean(Orders.class);
			FaultInjectingIdempotencyStore store = context.getBean(FaultInjectingIdempotencyStore.class);
			orders.create("k1", 1);
			orders.create("k1", 1);
			orders.create("k1", 1);
			assertThatExceptionOfType(IdempotencyKeyReusedException.class).isThrownBy(() -> orders.create("k1", 2));
			assertThatExceptionOfType(MissingIdempotencyKeyException.class).isThrownBy(() -> orders.create(null, 1));
			orders.charge("c1");
			assertThatExceptionOfType(DuplicateRequestException.class).isThrownBy(() -> orders.charge("c1"));
			orders.large("big");
			assertThatExceptionOfType(ReplayUnavailableException.class).isThrownBy(() -> orders.large("big"));
			store.failing(true);
			assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
				.isThrownBy(() -> orders.create("k2", 1));
			store.failing(false);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			double completed = storeCount(registry, "complete", "ok");
			store.failingCompletions(true);
			assertThat(orders.create("k3", 1)).as("answered while its completion is retried")
				.isEqualTo("order k3 x1");
			store.failingCompletions(false);
			Poll.until("the completion of k3 gets through in the background",
					() -> storeCount(registry, "complete", "ok") > completed);
			assertThat(orders.create("k3", 1)).isEqualTo("order k3 x1");
			assertThat(orders.executions()).filteredOn("k3"::equals).hasSize(1);

			MeterRegistry meters = context.getBean(MeterRegistry.class);
			assertThat(count(meters, "orders", "executed")).isEqualTo(2);
			assertThat(count(meters, "orders", "replayed")).isEqualTo(3);
			assertThat(count(meters, "orders", "key_reused")).isEqualTo(1);
			assertThat(count(meters, "orders", "invalid_key")).isEqualTo(1);
			assertThat(count(meters, "charges", "executed")).isEqualTo(1);
			assertThat(count(meters, "charges", "rejected")).isEqualTo(1);
			assertThat(count(meters, "large", "executed")).isEqualTo(1);
			assertThat(count(meters, "large", "replay_unavailable")).isEqualTo(1);
			assertThat(count(meters, "orders", "storage_unavailable")).isEqualTo(1);
			assertThat(meters.get("idempotency.requests").timers()).hasSize(9);
		});
	}

	@Test
	void aCompletionThatNeverGetsThroughIsCountedAsAnIncident() {
		this.runner.withUserConfiguration(Metrics.class)
			.withPropertyValues("idempotent.lease=1500ms", "idempotent.store.timeout=500ms")
			.run((context) -> {
				Orders orders = context.getBean(Orders.class);
				MeterRegistry meters = context.getBean(MeterRegistry.class);
				context.getBean(FaultInjectingIdempotencyStore.class).failingCompletions(true);
				assertThat(orders.create("k1", 1)).isEqualTo("order k1 x1");
				assertThat(count(meters, "orders", "executed")).isEqualTo(1);
				Poll.until("the retries give up after a lease", () -> meters.find(IdempotencyObservations.INCIDENTS)
					.tags("operation", "orders", "incident", "completion_failed")
					.timer() != null);
				assertThat(meters.get(IdempotencyObservations.INCIDENTS)
					.tags("operation", "orders", "incident", "completion_failed")
					.timer()
					.count()).isEqualTo(1);
			});
	}

	@Test
	void storeRoundTripsAreNotObservedUnlessAskedFor() {
		this.runner.withUserConfiguration(Metrics.class).run((context) -> {
			List<String> stopped = context.getBean(Recorder.class).stopped;
			Orders orders = context.getBean(Orders.class);
			orders.create("k1", 1);
			orders.create("k1", 1);
			assertThat(stopped).containsExactly("business < idempotency.requests", "idempotency.requests < none",
					"idempotency.requests < none");
			MeterRegistry meters = context.getBean(MeterRegistry.class);
			assertThat(meters.find("idempotency.store").timers()).isEmpty();
			assertThat(count(meters, "orders", "executed")).isEqualTo(1);
			assertThat(count(meters, "orders", "replayed")).isEqualTo(1);
		});
	}

	@Test
	void storeRoundTripsAreTimedByCommandAndResult() {
		this.runner.withUserConfiguration(Metrics.class).withPropertyValues(STORE_OBSERVED).run((context) -> {
			Orders orders = context.getBean(Orders.class);
			orders.create("k1", 1);
			orders.create("k1", 1);
			assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> orders.failing("k2"));
			context.getBean(FaultInjectingIdempotencyStore.class).failing(true);
			assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
				.isThrownBy(() -> orders.create("k3", 1));

			MeterRegistry meters = context.getBean(MeterRegistry.class);
			assertThat(storeCount(meters, "claim", "acquired")).isEqualTo(2);
			assertThat(storeCount(meters, "claim", "taken")).isEqualTo(1);
			assertThat(storeCount(meters, "claim", "error")).isEqualTo(1);
			assertThat(storeCount(meters, "complete", "ok")).isEqualTo(1);
			assertThat(storeCount(meters, "release", "ok")).isEqualTo(1);
		});
	}

	@Test
	void theStoreRoundTripsAndTheMethodsOwnObservationsAreChildrenOfTheCallsObservation() {
		this.runner.withUserConfiguration(Metrics.class).withPropertyValues(STORE_OBSERVED).run((context) -> {
			List<String> stopped = context.getBean(Recorder.class).stopped;
			context.getBean(Orders.class).create("k1", 1);
			assertThat(stopped).containsExactly("idempotency.store claim < idempotency.requests",
					"business < idempotency.requests", "idempotency.store complete < idempotency.requests",
					"idempotency.requests < none");
		});
	}

	@Test
	void theObservationOfAReactiveCallEndsWhenItsAnswerDoesItsClaimCompletedFirst() {
		this.runner.withUserConfiguration(Metrics.class).withPropertyValues(STORE_OBSERVED).run((context) -> {
			List<String> stopped = context.getBean(Recorder.class).stopped;
			Orders orders = context.getBean(Orders.class);
			Sinks.One<String> gate = Sinks.one();
			CompletableFuture<String> answer = orders.later("k1", gate.asMono()).toFuture();
			Poll.until("the call runs", () -> orders.executions().contains("k1"));
			assertThat(stopped).as("still running").noneMatch((name) -> name.startsWith("idempotency.requests"));
			gate.tryEmitValue("shipped");
			assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo("shipped");
			Poll.until("the call's observation ends", () -> stopped.contains("idempotency.requests < none"));
			assertThat(stopped).containsSubsequence("idempotency.store claim < idempotency.requests",
					"idempotency.store complete < none", "idempotency.requests < none");
			// The recorder may hear of the stop before the meter handler has counted it, on the completing thread.
			MeterRegistry meters = context.getBean(MeterRegistry.class);
			Poll.until("the call is counted", () -> count(meters, "later", "executed") == 1);
			assertThat(orders.later("k1", Mono.just("again")).block()).as("replayed").isEqualTo("shipped");
			Poll.until("the replay is counted", () -> count(meters, "later", "replayed") == 1);
			assertThat(count(meters, "later", "executed")).isEqualTo(1);
		});
	}

	@Test
	void aConventionBeanRenamesAndTags() {
		this.runner.withUserConfiguration(Metrics.class, RenamingConvention.class).run((context) -> {
			context.getBean(Orders.class).create("k1", 1);
			MeterRegistry meters = context.getBean(MeterRegistry.class);
			assertThat(meters.find("idempotency.requests").timers()).isEmpty();
			assertThat(meters.get("shop.idempotent.calls").tags("operation", "orders", "outcome", "executed",
					"region", "eu").timer().count()).isEqualTo(1);
		});
	}

	@Test
	void everythingWorksWithoutAnObservationRegistry() {
		this.runner.run((context) -> {
			assertThat(context).doesNotHaveBean(ObservationRegistry.class);
			Orders orders = context.getBean(Orders.class);
			assertThat(orders.create("k1", 1)).isEqualTo("order k1 x1");
			assertThat(orders.create("k1", 1)).isEqualTo("order k1 x1");
			assertThat(orders.executions()).containsExactly("k1");
			assertThatExceptionOfType(IdempotencyKeyReusedException.class).isThrownBy(() -> orders.create("k1", 2));
		});
	}

	private static double count(MeterRegistry meters, String operation, String outcome) {
		return meters.get("idempotency.requests").tags("operation", operation, "outcome", outcome).timer().count();
	}

	private static double storeCount(MeterRegistry meters, String command, String result) {
		return meters.get("idempotency.store").tags("command", command, "result", result).timer().count();
	}

	@Configuration(proxyBeanMethods = false)
	static class Service {

		@Bean
		FaultInjectingIdempotencyStore faultyStore() {
			return new FaultInjectingIdempotencyStore(new InMemoryIdempotencyStore());
		}

		@Bean
		Orders orders(ObjectProvider<ObservationRegistry> registry) {
			return new Orders(registry.getIfAvailable(() -> ObservationRegistry.NOOP));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class Metrics {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

		@Bean
		Recorder recorder() {
			return new Recorder();
		}

		@Bean
		ObservationRegistry observationRegistry(MeterRegistry meters, Recorder recorder) {
			ObservationRegistry registry = ObservationRegistry.create();
			registry.observationConfig()
				.observationHandler(new DefaultMeterObservationHandler(meters))
				.observationHandler(recorder);
			return registry;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RenamingConvention {

		@Bean
		IdempotencyObservationConvention shopConvention() {
			return new DefaultIdempotencyObservationConvention() {

				@Override
				public String getName() {
					return "shop.idempotent.calls";
				}

				@Override
				public KeyValues getLowCardinalityKeyValues(IdempotencyObservationContext context) {
					return super.getLowCardinalityKeyValues(context).and("region", "eu");
				}

			};
		}

	}

	/** Records each stopped observation with its parent's name. */
	static class Recorder implements ObservationHandler<Observation.Context> {

		final List<String> stopped = new CopyOnWriteArrayList<>();

		@Override
		public void onStop(Observation.Context context) {
			String name = (context instanceof IdempotencyStoreObservationContext store)
					? context.getName() + " " + store.getCommand() : context.getName();
			ObservationView parent = context.getParentObservation();
			this.stopped.add(name + " < " + ((parent != null) ? parent.getContextView().getName() : "none"));
		}

		@Override
		public boolean supportsContext(Observation.Context context) {
			return true;
		}

	}

	static class Orders {

		private final List<String> executions = new CopyOnWriteArrayList<>();

		private final ObservationRegistry registry;

		Orders(ObservationRegistry registry) {
			this.registry = registry;
		}

		@Idempotent(name = "orders", key = "#key")
		public String create(@Nullable String key, int quantity) {
			// The method's own observation, a JDBC query say, is a child of the call's.
			Observation.createNotStarted("business", this.registry).observe(() -> this.executions.add(key));
			return "order " + key + " x" + quantity;
		}

		public List<String> executions() {
			return this.executions;
		}

		@Idempotent(name = "later", key = "#key", fingerprint = false)
		public Mono<String> later(String key, Mono<String> work) {
			return Mono.fromRunnable(() -> this.executions.add(key)).then(work);
		}

		@Idempotent(name = "charges", key = "#key", onDuplicate = DuplicatePolicy.REJECT)
		public String charge(String key) {
			return "charged " + key;
		}

		@Idempotent(name = "large", key = "#key")
		public String large(String key) {
			return "x".repeat(100);
		}

		@Idempotent(name = "failing", key = "#key")
		public String failing(String key) {
			throw new IllegalStateException("the ledger is down");
		}

	}

}
