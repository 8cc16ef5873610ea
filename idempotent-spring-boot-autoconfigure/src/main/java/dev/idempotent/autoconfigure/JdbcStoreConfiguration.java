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
import javax.sql.DataSource;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.jdbc.JdbcIdempotencyStore;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.init.DataSourceScriptDatabaseInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The JDBC store, on the application's {@link DataSource}: only when chosen with
 * {@code idempotent.store.type=jdbc}, since it needs its table. Its statements are bounded by
 * {@code idempotent.store.timeout}; it keeps time by the database's clock unless the application
 * has a {@link Clock} bean.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({ JdbcTemplate.class, DataSourceScriptDatabaseInitializer.class })
@ConditionalOnBean(DataSource.class)
@ConditionalOnMissingBean(IdempotencyStore.class)
@Conditional(StoreTypeCondition.Jdbc.class)
@EnableConfigurationProperties(IdempotencyJdbcProperties.class)
class JdbcStoreConfiguration {

	// Without a Clock bean the store keeps time by the database's clock, which every instance shares.
	@Bean
	JdbcIdempotencyStore idempotencyStore(DataSource dataSource, IdempotencyJdbcProperties properties,
			IdempotencyProperties idempotency, ObjectProvider<Clock> clock) {
		return new JdbcIdempotencyStore(dataSource, properties.getTableName(), clock.getIfAvailable(),
				idempotency.getStore().getTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyJdbcSchemaInitializer idempotentJdbcSchemaInitializer(DataSource dataSource,
			IdempotencyJdbcProperties properties) {
		return new IdempotencyJdbcSchemaInitializer(dataSource, properties);
	}

	@Bean
	@ConditionalOnMissingBean
	JdbcPurgeScheduler idempotentJdbcPurgeScheduler(JdbcIdempotencyStore store, IdempotencyJdbcProperties properties) {
		return new JdbcPurgeScheduler(store, properties.getPurgeInterval());
	}

}
