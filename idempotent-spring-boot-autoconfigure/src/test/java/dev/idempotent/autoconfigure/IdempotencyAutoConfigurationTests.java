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
package dev.idempotent.autoconfigure;

import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import dev.idempotent.autoconfigure.actuate.IdempotencyEndpointAutoConfiguration;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.IdempotencyCallerResolver;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.interceptor.IdempotencyAdvisor;
import dev.idempotent.spring.interceptor.IdempotencyDefaults;
import dev.idempotent.spring.interceptor.IdempotencyOperationSource;
import dev.idempotent.spring.messaging.kafka.KafkaListenerTransport;
import dev.idempotent.spring.messaging.kafka.RefusedRecordErrorHandlers;
import dev.idempotent.spring.web.servlet.IdempotencyProblemHandler;
import dev.idempotent.spring.web.servlet.IdempotencyRequestBodyAdvice;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.kafka.annotation.KafkaListener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

@ExtendWith(OutputCaptureExtension.class)
class IdempotencyAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataRedisAutoConfiguration.class,
					JacksonAutoConfiguration.class));

	@Test
	void thePropertiesDefaultsAreTheSpringLayersDefaults() {
		assertThat(new IdempotencyProperties().toDefaults())
			.as("an application without Spring Boot gets what idempotent.* defaults to")
			.isEqualTo(IdempotencyDefaults.STANDARD);
	}

	@Test
	void redisStoreWhenTheApplicationHasARedisConnectionFactory() {
		this.runner.run((context) -> {
			assertThat(context).hasSingleBean(RedisConnectionFactory.class);
			assertThat(context).getBean(IdempotencyStore.class).isInstanceOf(RedisIdempotencyStore.class);
			assertThat(context).hasSingleBean(IdempotencyEngine.class)
				.hasSingleBean(IdempotenceService.class)
				.hasSingleBean(IdempotencyAdvisor.class);
		});
	}

	@Test
	void inMemoryStoreWithAWarningWhenThereIsNoRedis(CapturedOutput output) {
		this.runner.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class)).run((context) -> {
			assertThat(context).getBean(IdempotencyStore.class).isInstanceOf(InMemoryIdempotencyStore.class);
			assertThat(output).contains("WARN").contains("protects this single instance only");
		});
	}

	@Test
	void inMemoryStoreWhenChosenEvenWithRedisPresent(CapturedOutput output) {
		this.runner.withPropertyValues("idempotent.store.type=in-memory").run((context) -> {
			assertThat(context).getBean(IdempotencyStore.class).isInstanceOf(InMemoryIdempotencyStore.class);
			assertThat(output).doesNotContain("No RedisConnectionFactory found");
		});
	}

	@Test
	void redisChosenWithoutRedisFailsAtStartUpSayingWhy() {
		this.runner.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
			.withPropertyValues("idempotent.store.type=redis")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("idempotent.store.type=REDIS")
				.hasMessageContaining("RedisConnectionFactory"));
	}

	@Test
	void unknownStoreTypeFailsAtStartUp() {
		this.runner.withPropertyValues("idempotent.store.type=mongo")
			.run((context) -> assertThat(context).hasFailed());
	}

	@Test
	void invalidPropertiesFailAtStartUp() {
		this.runner.withPropertyValues("idempotent.lease=0s").run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("idempotent.lease must be positive"));
		// Stores keep time in milliseconds: a lease of 500us would be PEXPIRE 0, which deletes the claim.
		this.runner.withPropertyValues("idempotent.lease=500us").run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("idempotent.lease must be a whole number of milliseconds"));
		this.runner.withPropertyValues("idempotent.token.ttl=1500us").run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("idempotent.token.ttl must be a whole number of milliseconds"));
		this.runner.withPropertyValues("idempotent.max-key-length=0")
			.run((context) -> assertThat(context).hasFailed());
		this.runner.withPropertyValues("idempotent.max-outcome-size=0B").run((context) -> assertThat(context).hasFailed()
			.getFailure()
			.rootCause()
			.hasMessageContaining("idempotent.max-outcome-size"));
		this.runner.withPropertyValues("idempotent.keep-on=com.example.NoSuchException")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("com.example.NoSuchException"));
	}

	@Test
	void theInMemoryStoreIsBoundedByItsPropertyAndAFullOneRefusesWithoutRunningTheMethod() {
		this.runner.withPropertyValues("idempotent.store.type=in-memory", "idempotent.memory.max-records=1",
				"idempotent.memory.sweep-interval=5s")
			.withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class))
			.withBean(Counter.class)
			.run((context) -> {
				IdempotencyProperties.Memory memory = context.getBean(IdempotencyProperties.class).getMemory();
				assertThat(memory.getMaxRecords()).isEqualTo(1);
				assertThat(memory.getSweepInterval()).isEqualTo(Duration.ofSeconds(5));
				Counter counter = context.getBean(Counter.class);
				assertThat(counter.count("a")).isEqualTo(1);
				assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
					.isThrownBy(() -> counter.count("b"))
					.havingCause()
					.withMessageContaining("store is full")
					.withMessageContaining("idempotent.memory.max-records");
				assertThat(counter.runs()).as("the refused call did not run").isEqualTo(1);
				assertThat(counter.count("a")).as("a held key is replayed").isEqualTo(1);
			});
	}

	@Test
	void theInMemoryStoreDefaultsToItsOwnBound() {
		this.runner.withPropertyValues("idempotent.store.type=in-memory").run((context) -> {
			IdempotencyProperties.Memory memory = context.getBean(IdempotencyProperties.class).getMemory();
			assertThat(memory.getMaxRecords()).isEqualTo(InMemoryIdempotencyStore.DEFAULT_MAX_RECORDS)
				.isEqualTo(100_000);
			assertThat(memory.getSweepInterval()).isEqualTo(InMemoryIdempotencyStore.DEFAULT_SWEEP_INTERVAL);
		});
	}

	@Test
	void anInMemoryBoundBelowOneFailsAtStartUp() {
		for (String bad : List.of("0", "-5")) {
			this.runner.withPropertyValues("idempotent.store.type=in-memory", "idempotent.memory.max-records=" + bad)
				.run((context) -> assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessage("idempotent.memory.max-records must be at least 1, was " + bad));
		}
		this.runner.withPropertyValues("idempotent.memory.sweep-interval=0s")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("idempotent.memory.sweep-interval must be at least 1ms"));
	}

	@Test
	void theInMemoryStoresSweepingThreadEndsWithTheContext() throws InterruptedException {
		AtomicReference<String> sweeper = new AtomicReference<>();
		this.runner.withPropertyValues("idempotent.store.type=in-memory").run((context) -> {
			InMemoryIdempotencyStore store = context.getBean(InMemoryIdempotencyStore.class);
			sweeper.set("idempotent-memory-sweep-" + Integer.toHexString(System.identityHashCode(store)));
			assertThat(isAlive(sweeper.get())).as("the store sweeps on a thread of its own").isTrue();
		});
		Poll.until("the sweeping thread ended with the context", () -> !isAlive(sweeper.get()));
	}

	private static boolean isAlive(String threadName) {
		return Thread.getAllStackTraces().keySet().stream().anyMatch((thread) -> thread.getName().equals(threadName));
	}

	@Test
	void disabledRegistersNothing() {
		this.runner.withPropertyValues("idempotent.enabled=false").run((context) -> {
			assertThat(context).doesNotHaveBean(IdempotencyEngine.class)
				.doesNotHaveBean(IdempotencyAdvisor.class)
				.doesNotHaveBean(IdempotencyStore.class);
		});
	}

	@Test
	void everyBeanBacksOffForTheApplicationsOwn() {
		this.runner.withUserConfiguration(UserBeans.class).run((context) -> {
			assertThat(context).getBean(IdempotencyStore.class).isSameAs(context.getBean("userStore"));
			assertThat(context).getBean(IdempotencyEngine.class).isSameAs(context.getBean("userEngine"));
			assertThat(context).getBean(IdempotencyCallerResolver.class).isSameAs(context.getBean("userCallers"));
			assertThat(context).getBean(IdempotenceService.class).isSameAs(context.getBean("userService"));
		});
	}

	@Test
	void problemHandlerOnlyInAServletWebApplication() {
		this.runner.run((context) -> assertThat(context).doesNotHaveBean(IdempotencyProblemHandler.class));
		new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, JacksonAutoConfiguration.class))
			.withPropertyValues("idempotent.store.type=in-memory")
			.run((context) -> assertThat(context).hasSingleBean(IdempotencyProblemHandler.class)
				.hasSingleBean(IdempotencyRequestBodyAdvice.class));
	}

	@Test
	void kafkaListenersGetTheirTransportAndRefusalHandlingOnlyWithSpringKafka() {
		ApplicationContextRunner kafka = this.runner.withPropertyValues("idempotent.store.type=in-memory")
			.withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class));
		kafka.run((context) -> {
			assertThat(context).hasSingleBean(KafkaListenerTransport.class).hasSingleBean(RefusedRecordErrorHandlers.class);
			assertThat(context.getBean(IdempotencyOperationSource.class)
				.getOperation(KafkaListeners.class.getMethod("consume", String.class), KafkaListeners.class)
				.transport()).isInstanceOf(KafkaListenerTransport.class);
		});
		kafka.withClassLoader(new FilteredClassLoader(KafkaListener.class)).run((context) -> {
			assertThat(context).hasNotFailed()
				.doesNotHaveBean(KafkaListenerTransport.class)
				.doesNotHaveBean(RefusedRecordErrorHandlers.class);
		});
	}

	static class KafkaListeners {

		@KafkaListener(topics = "records")
		@Idempotent(key = "#value")
		public void consume(String value) {
		}

	}

	@Test
	void everyAutoConfiguredBeanIsConditionalOnMissingBean() {
		List<String> unconditional = new ArrayList<>();
		for (Class<?> configuration : List.of(IdempotencyAutoConfiguration.class, IdempotencyWebConfiguration.class,
				KafkaListenerConfiguration.class, IdempotencyEndpointAutoConfiguration.class)) {
			for (Method method : configuration.getDeclaredMethods()) {
				if (method.isAnnotationPresent(Bean.class) && !method.isAnnotationPresent(ConditionalOnMissingBean.class)) {
					unconditional.add(method.toString());
				}
			}
		}
		// The store configurations are conditional on a missing IdempotencyStore as a whole.
		for (Class<?> store : List.of(RedisStoreConfiguration.class, JdbcStoreConfiguration.class,
				InMemoryStoreConfiguration.class)) {
			assertThat(store.getAnnotation(ConditionalOnMissingBean.class).value()).containsExactly(IdempotencyStore.class);
		}
		assertThat(unconditional).isEmpty();
	}

	static class Counter {

		private final AtomicInteger runs = new AtomicInteger();

		@Idempotent(key = "#key")
		public int count(String key) {
			return this.runs.incrementAndGet();
		}

		public int runs() {
			return this.runs.get();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeans {

		@Bean
		IdempotencyStore userStore() {
			return new InMemoryIdempotencyStore();
		}

		@Bean
		IdempotencyEngine userEngine(IdempotencyStore userStore) {
			return new IdempotencyEngine(userStore, new IdempotencyKeys("mine:", 64), Clock.systemUTC());
		}

		@Bean
		IdempotencyCallerResolver userCallers() {
			return () -> "tenant-1";
		}

		@Bean
		IdempotenceService userService(IdempotencyEngine userEngine) {
			return new IdempotenceService(userEngine);
		}

	}

}
