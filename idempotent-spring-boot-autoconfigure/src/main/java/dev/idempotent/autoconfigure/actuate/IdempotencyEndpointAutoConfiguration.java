package dev.idempotent.autoconfigure.actuate;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.IdempotencyEngine;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@code idempotency} actuator endpoint, when Spring Boot Actuator is present and the application
 * exposes the endpoint ({@code management.endpoints.web.exposure.include}).
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnClass(ConditionalOnAvailableEndpoint.class)
@ConditionalOnAvailableEndpoint(IdempotencyEndpoint.class)
@ConditionalOnBean(IdempotencyEngine.class)
@EnableConfigurationProperties(IdempotencyEndpointProperties.class)
public final class IdempotencyEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	IdempotencyEndpoint idempotencyEndpoint(IdempotencyEngine engine, IdempotencyEndpointProperties properties) {
		return new IdempotencyEndpoint(engine, properties.isShowOutcome());
	}

}
