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

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.Idempotent;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code @Transactional} and {@code @Idempotent} on one method, the transaction is the outer
 * advice, so the JDBC store's claim is written in it: while the method runs, no other connection
 * sees the claim. Whether Spring Boot enables transaction management or the application does.
 */
class TransactionalAdviceOrderTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataSourceAutoConfiguration.class,
				DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
				AopAutoConfiguration.class, JacksonAutoConfiguration.class))
		.withPropertyValues("spring.datasource.generate-unique-name=true", "idempotent.store.type=jdbc");

	@Test
	void theTransactionIsOuterWithSpringBootsTransactionManagement() {
		this.runner.withUserConfiguration(Service.class).run((context) -> {
			Transfers transfers = context.getBean(Transfers.class);
			String key = UUID.randomUUID().toString();
			assertThat(transfers.seenFromAnotherConnectionWhileRunning(key)).as("claim invisible: uncommitted").isEmpty();
			assertThat(context.getBean(IdempotenceService.class).find("transfer", null, key)).isPresent();
		});
	}

	@Test
	void theTransactionIsOuterWithTheApplicationsOwnTransactionManagement() {
		this.runner.withUserConfiguration(OwnTransactionManagement.class, Service.class).run((context) -> {
			Transfers transfers = context.getBean(Transfers.class);
			String key = UUID.randomUUID().toString();
			assertThat(transfers.seenFromAnotherConnectionWhileRunning(key)).as("claim invisible: uncommitted").isEmpty();
			assertThat(context.getBean(IdempotenceService.class).find("transfer", null, key)).isPresent();
		});
	}

	@Configuration(proxyBeanMethods = false)
	@EnableTransactionManagement
	static class OwnTransactionManagement {

	}

	@Configuration(proxyBeanMethods = false)
	static class Service {

		@Bean
		Transfers transfers(IdempotenceService idempotence) {
			return new Transfers(idempotence);
		}

	}

	static class Transfers {

		private final IdempotenceService idempotence;

		Transfers(IdempotenceService idempotence) {
			this.idempotence = idempotence;
		}

		@Transactional
		@Idempotent(name = "transfer", key = "#key")
		public Optional<IdempotencyRecord> seenFromAnotherConnectionWhileRunning(String key) throws Exception {
			return CompletableFuture.supplyAsync(() -> this.idempotence.find("transfer", null, key))
				.get(5, TimeUnit.SECONDS);
		}

	}

}
