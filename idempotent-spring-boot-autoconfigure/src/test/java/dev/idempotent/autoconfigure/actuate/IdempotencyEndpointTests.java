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
package dev.idempotent.autoconfigure.actuate;

import java.security.Principal;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.autoconfigure.actuate.IdempotencyEndpoint.IdempotencyRecordDescriptor;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.InvalidIdempotencyKeyException;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.test.FaultInjectingIdempotencyStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** The {@code idempotency} endpoint through its auto-configuration, on the in-memory store. */
@ExtendWith(OutputCaptureExtension.class)
class IdempotencyEndpointTests {

	private final ApplicationContextRunner autoConfigured = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
				IdempotencyEndpointAutoConfiguration.class, AopAutoConfiguration.class,
				JacksonAutoConfiguration.class));

	private final ApplicationContextRunner runner = this.autoConfigured.withUserConfiguration(Service.class);

	private final ApplicationContextRunner exposed = this.runner
		.withPropertyValues("management.endpoints.web.exposure.include=idempotency");

	@Test
	void onlyWhenExposed() {
		this.runner.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(IdempotencyEndpoint.class));
		this.exposed.run((context) -> assertThat(context).hasSingleBean(IdempotencyEndpoint.class));
		this.autoConfigured.withPropertyValues("management.endpoints.web.exposure.include=idempotency")
			.withClassLoader(new FilteredClassLoader(ConditionalOnAvailableEndpoint.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(IdempotencyEndpoint.class));
	}

	@Test
	void showsARecordWithoutItsOutcomeUnlessAskedTo() {
		this.exposed.run((context) -> {
			context.getBean(Payments.class).pay("p-1", "tenant-a");
			IdempotencyRecordDescriptor record = context.getBean(IdempotencyEndpoint.class)
				.record("payments", "p-1", null, "tenant-a");
			assertThat(record).isNotNull();
			assertThat(record.state()).isEqualTo(RecordState.COMPLETED);
			assertThat(record.scope()).isEqualTo("tenant-a");
			assertThat(record.principal()).isNull();
			assertThat(record.fingerprint()).isTrue();
			assertThat(record.expiresAt()).isAfter(record.createdAt());
			assertThat(record.outcome()).isNull();
			assertThat(context.getBean(IdempotencyEndpoint.class).record("payments", "p-1", null, "tenant-b")).isNull();
		});
		this.exposed.withPropertyValues("management.endpoint.idempotency.show-outcome=true").run((context) -> {
			context.getBean(Payments.class).pay("p-1", "tenant-a");
			assertThat(context.getBean(IdempotencyEndpoint.class).record("payments", "p-1", null, "tenant-a"))
				.satisfies((record) -> assertThat(record.outcome()).contains("paid p-1"));
		});
	}

	@Test
	void releasesARecordAndSaysWhoDid(CapturedOutput output) {
		this.exposed.run((context) -> {
			Payments payments = context.getBean(Payments.class);
			IdempotencyEndpoint endpoint = context.getBean(IdempotencyEndpoint.class);
			payments.pay("p-1", "tenant-a");
			WebEndpointResponse<IdempotencyRecordDescriptor> released = endpoint.release(operator("ops-anna"),
					"payments", "p-1", null, "tenant-a");
			assertThat(released.getStatus()).isEqualTo(200);
			assertThat(released.getBody().state()).isEqualTo(RecordState.COMPLETED);
			assertThat(output).containsPattern("WARN .*deleted through the actuator endpoint by ops-anna.*"
					+ "operation=payments, key=p-1, principal=null, scope=tenant-a, state=COMPLETED");
			assertThat(endpoint.release(SecurityContext.NONE, "payments", "p-1", null, "tenant-a").getStatus())
				.isEqualTo(404);
			payments.pay("p-1", "tenant-a");
			assertThat(payments.executions()).isEqualTo(2);
		});
	}

	@Test
	void aMalformedKeyOrAFailingStoreIsTheLibrarysException() {
		this.exposed.run((context) -> {
			IdempotencyEndpoint endpoint = context.getBean(IdempotencyEndpoint.class);
			assertThatExceptionOfType(InvalidIdempotencyKeyException.class)
				.isThrownBy(() -> endpoint.record("payments", "k".repeat(256), null, null));
			context.getBean(Payments.class).pay("p-1", null);
			context.getBean(FaultInjectingIdempotencyStore.class).failing(true);
			assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
				.isThrownBy(() -> endpoint.release(SecurityContext.NONE, "payments", "p-1", null, null));
		});
	}

	private static SecurityContext operator(String name) {
		Principal principal = () -> name;
		return new SecurityContext() {

			@Override
			public Principal getPrincipal() {
				return principal;
			}

			@Override
			public boolean isUserInRole(String role) {
				return false;
			}

		};
	}

	@Configuration(proxyBeanMethods = false)
	static class Service {

		@Bean
		FaultInjectingIdempotencyStore faultyStore() {
			return new FaultInjectingIdempotencyStore(new InMemoryIdempotencyStore());
		}

		@Bean
		Payments payments() {
			return new Payments();
		}

	}

	static class Payments {

		private int executions;

		@Idempotent(name = "payments", key = "#id", scope = "#tenant")
		public String pay(String id, @Nullable String tenant) {
			this.executions++;
			return "paid " + id;
		}

		public int executions() {
			return this.executions;
		}

	}

}
