package dev.idempotent.autoconfigure;

import java.lang.reflect.Method;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import dev.idempotent.autoconfigure.actuate.IdempotencyEndpointAutoConfiguration;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.IdempotencyCallerResolver;
import dev.idempotent.spring.interceptor.IdempotencyAdvisor;
import dev.idempotent.spring.interceptor.IdempotencyDefaults;
import dev.idempotent.spring.web.servlet.IdempotencyProblemHandler;
import dev.idempotent.spring.web.servlet.IdempotencyRequestBodyAdvice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

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
	void everyAutoConfiguredBeanIsConditionalOnMissingBean() {
		List<String> unconditional = new ArrayList<>();
		for (Class<?> configuration : List.of(IdempotencyAutoConfiguration.class, IdempotencyWebConfiguration.class,
				IdempotencyEndpointAutoConfiguration.class)) {
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
