package dev.idempotent.spring.autoconfigure;

import java.time.Clock;

import javax.sql.DataSource;

import dev.idempotent.core.IdempotencyStore;
import dev.idempotent.spring.jdbc.JdbcIdempotencyStore;

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
 * {@code idempotent.store.type=jdbc}, since it needs its table.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({ JdbcTemplate.class, DataSourceScriptDatabaseInitializer.class })
@ConditionalOnBean(DataSource.class)
@ConditionalOnMissingBean(IdempotencyStore.class)
@Conditional(StoreTypeCondition.Jdbc.class)
@EnableConfigurationProperties(IdempotentJdbcProperties.class)
class JdbcStoreConfiguration {

	@Bean
	JdbcIdempotencyStore idempotencyStore(DataSource dataSource, IdempotentJdbcProperties properties,
			ObjectProvider<Clock> clock) {
		return new JdbcIdempotencyStore(dataSource, properties.getTableName(), clock.getIfAvailable(Clock::systemUTC));
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotentJdbcSchemaInitializer idempotentJdbcSchemaInitializer(DataSource dataSource,
			IdempotentJdbcProperties properties) {
		return new IdempotentJdbcSchemaInitializer(dataSource, properties);
	}

	@Bean
	@ConditionalOnMissingBean
	JdbcPurgeScheduler idempotentJdbcPurgeScheduler(JdbcIdempotencyStore store, IdempotentJdbcProperties properties) {
		return new JdbcPurgeScheduler(store, properties.getPurgeInterval());
	}

}
