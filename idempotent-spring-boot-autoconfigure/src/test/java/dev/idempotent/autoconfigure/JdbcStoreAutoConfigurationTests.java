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

import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.jdbc.JdbcIdempotencyStore;
import dev.idempotent.test.ManualClock;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceInitializationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.jdbc.BadSqlGrammarException;
import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Auto-configuration of the JDBC store on an embedded H2 database. */
class JdbcStoreAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataSourceAutoConfiguration.class,
				JacksonAutoConfiguration.class))
		.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
		.withPropertyValues("spring.datasource.generate-unique-name=true");

	@Test
	void jdbcStoreWhenChosenCreatesItsTableInAnEmbeddedDatabase() {
		this.runner.withPropertyValues("idempotent.store.type=jdbc").run((context) -> {
			assertThat(context).getBean(IdempotencyStore.class).isInstanceOf(JdbcIdempotencyStore.class);
			IdempotencyStore store = context.getBean(IdempotencyStore.class);
			assertThat(store.tryClaim("k", "owner-1", null, Duration.ofSeconds(30)).isAcquired()).isTrue();
			assertThat(store.tryClaim("k", "owner-2", null, Duration.ofSeconds(30)).isAcquired()).isFalse();
			assertThat(context.getBean(JdbcPurgeScheduler.class).isRunning()).isTrue();
		});
	}

	@Test
	void theApplicationsOwnSchemaScriptStillRuns() {
		this.runner.withConfiguration(AutoConfigurations.of(DataSourceInitializationAutoConfiguration.class))
			.withPropertyValues("idempotent.store.type=jdbc",
					"spring.sql.init.schema-locations=classpath:application-schema.sql")
			.run((context) -> {
				JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
				assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM application_table", Integer.class)).isZero();
				assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM idempotency_record", Integer.class)).isZero();
			});
	}

	@Test
	void aDataSourceAloneDoesNotChooseTheJdbcStore() {
		this.runner.run((context) -> assertThat(context).getBean(IdempotencyStore.class)
			.isInstanceOf(InMemoryIdempotencyStore.class));
	}

	@Test
	void aConfiguredTableNameIsCreatedAndUsed() {
		this.runner.withPropertyValues("idempotent.store.type=jdbc", "idempotent.jdbc.table-name=my_idempotency")
			.run((context) -> {
				context.getBean(IdempotencyStore.class).tryClaim("k", "owner-1", "fp", Duration.ofSeconds(30));
				assertThat(new JdbcTemplate(context.getBean(DataSource.class))
					.queryForObject("SELECT fingerprint FROM my_idempotency WHERE storage_key = 'k'", String.class))
					.isEqualTo("fp");
			});
	}

	@Test
	void initializeSchemaNeverLeavesTheTableToTheApplication() {
		this.runner.withPropertyValues("idempotent.store.type=jdbc", "idempotent.jdbc.initialize-schema=never")
			.run((context) -> assertThatExceptionOfType(BadSqlGrammarException.class).isThrownBy(
					() -> context.getBean(IdempotencyStore.class).tryClaim("k", "owner-1", null, Duration.ofSeconds(30))));
	}

	@Test
	void aClockBeanTimesTheStoreAsItIs() {
		ManualClock clock = new ManualClock();
		this.runner.withPropertyValues("idempotent.store.type=jdbc")
			.withBean(Clock.class, () -> clock)
			.run((context) -> {
				IdempotencyStore store = context.getBean(IdempotencyStore.class);
				assertThat(store.tryClaim("k", "owner-1", null, Duration.ofSeconds(30)).isAcquired()).isTrue();
				clock.advance(Duration.ofMinutes(1));
				assertThat(store.tryClaim("k", "owner-2", null, Duration.ofSeconds(30)).isAcquired())
					.as("the lease lapsed on the bean's clock")
					.isTrue();
			});
	}

	@Test
	void zeroPurgeIntervalTurnsPurgingOff() {
		this.runner.withPropertyValues("idempotent.store.type=jdbc", "idempotent.jdbc.purge-interval=0s")
			.run((context) -> assertThat(context.getBean(JdbcPurgeScheduler.class).isRunning()).isFalse());
	}

	@Test
	void anInvalidTableNameFailsAtStartUp() {
		this.runner.withPropertyValues("idempotent.store.type=jdbc", "idempotent.jdbc.table-name=x; drop table y")
			.run((context) -> assertThat(context).hasFailed());
	}

	@Test
	void jdbcChosenWithoutADataSourceFailsAtStartUp() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, JacksonAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
			.withPropertyValues("idempotent.store.type=jdbc")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("idempotent.store.type=JDBC"));
	}

}
