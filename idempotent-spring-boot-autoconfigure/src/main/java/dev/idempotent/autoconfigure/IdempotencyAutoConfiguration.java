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
import java.util.ArrayList;
import java.util.List;

import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.LeaseRenewer;
import dev.idempotent.core.OutcomeEncryption;
import dev.idempotent.core.OutcomeRedactor;
import dev.idempotent.core.TransactionBoundary;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.spring.DefaultIdempotencyCallerResolver;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.IdempotencyCallerResolver;
import dev.idempotent.spring.IdempotencyTokenOperations;
import dev.idempotent.spring.codec.JsonOutcomeCodecFactory;
import dev.idempotent.spring.interceptor.IdempotencyAdvisor;
import dev.idempotent.spring.interceptor.IdempotencyFingerprinter;
import dev.idempotent.spring.interceptor.IdempotencyInterceptor;
import dev.idempotent.spring.interceptor.IdempotencyKeyResolver;
import dev.idempotent.spring.interceptor.IdempotencyOperationSource;
import dev.idempotent.spring.interceptor.TransactionSynchronizationBoundary;
import dev.idempotent.spring.messaging.MessageListenerTransport;
import dev.idempotent.spring.observation.IdempotencyObservationConvention;
import dev.idempotent.spring.observation.IdempotencyObservations;
import dev.idempotent.spring.observation.IdempotencyStoreObservationConvention;
import dev.idempotent.spring.observation.ObservedIdempotencyStore;
import dev.idempotent.spring.transport.IdempotencyTransport;
import dev.idempotent.spring.transport.MethodCallTransport;
import dev.idempotent.spring.transport.ThreadBoundRequest;
import io.micrometer.observation.ObservationRegistry;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.beans.factory.config.EmbeddedValueResolver;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Role;

/**
 * Auto-configuration of {@link dev.idempotent.spring.Idempotent}: the store (Redis when the
 * application has a {@code RedisConnectionFactory}, else in-memory), the engine, the advisor, the
 * transports (servlet handlers, WebFlux handlers, message listeners, Kafka listeners, plain method calls, and any
 * {@link IdempotencyTransport} bean of the application's, which comes first),
 * {@link IdempotenceService} and, in a servlet or reactive web application, the problem-detail mapping. Every
 * bean backs off when the application defines its own.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
		"org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration",
		"org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
		"org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
		"org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration" })
@ConditionalOnBooleanProperty(name = "idempotent.enabled", matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyProperties.class)
@Import({ RedisStoreConfiguration.class, JdbcStoreConfiguration.class, InMemoryStoreConfiguration.class,
		ServletTransportConfiguration.class, ReactiveTransportConfiguration.class, KafkaListenerConfiguration.class,
		IdempotencyWebConfiguration.class })
public final class IdempotencyAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	IdempotencyEngine idempotencyEngine(ObjectProvider<IdempotencyStore> store, IdempotencyProperties properties,
			ObjectProvider<Clock> clock, LeaseRenewer leaseRenewer, IdempotencyObservations observations,
			ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<IdempotencyStoreObservationConvention> storeConvention,
			ObjectProvider<TransactionBoundary> transactions, ObjectProvider<OutcomeEncryption> encryption,
			ObjectProvider<OutcomeRedactor> redactor) {
		IdempotencyStore chosen = store.getIfAvailable();
		if (chosen == null) {
			throw new IllegalStateException("idempotent.store.type=" + properties.getStore().getType()
					+ " but no such store can be created: the redis store needs a RedisConnectionFactory "
					+ "(spring-boot-starter-data-redis and spring.data.redis.*), the jdbc store a DataSource "
					+ "(spring-boot-starter-jdbc and spring.datasource.*); or define an IdempotencyStore bean");
		}
		ObservationRegistry registry = observationRegistry.getIfAvailable(() -> ObservationRegistry.NOOP);
		if (properties.getStore().isObservations() && !registry.isNoop()) {
			// Round trips are timed where the engine uses the store: the store bean keeps its own type.
			chosen = new ObservedIdempotencyStore(chosen, registry, storeConvention.getIfAvailable());
		}
		return IdempotencyEngine.builder(chosen)
			.listener(observations)
			.keys(properties.toKeys())
			.clock(clock.getIfAvailable(Clock::systemUTC))
			.leaseRenewer(leaseRenewer)
			.transactions(transactions.getIfAvailable(() -> TransactionBoundary.NONE))
			.maxOutcomeSize((int) properties.getMaxOutcomeSize().toBytes())
			.tokenTtl(properties.getToken().getTtl())
			.encryption(encryption.getIfAvailable(() -> OutcomeEncryption.NONE))
			.redactor(redactor.getIfAvailable(() -> OutcomeRedactor.NONE))
			.build();
	}

	// Outcomes encrypted at rest; the configuration is checked here, so a bad key stops the start-up.
	@Bean
	@ConditionalOnBooleanProperty("idempotent.encryption.enabled")
	@ConditionalOnMissingBean
	OutcomeEncryption idempotencyOutcomeEncryption(IdempotencyProperties properties) {
		return properties.getEncryption().toEncryption();
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyObservations idempotencyObservations(ObjectProvider<ObservationRegistry> observationRegistry,
			ObjectProvider<IdempotencyObservationConvention> convention) {
		return new IdempotencyObservations(observationRegistry.getIfAvailable(() -> ObservationRegistry.NOOP),
				convention.getIfAvailable());
	}

	// A claim outside the caller's transaction completes once the transaction has ended.
	@Bean
	@ConditionalOnClass(name = "org.springframework.transaction.support.TransactionSynchronizationManager")
	@ConditionalOnMissingBean
	TransactionBoundary idempotencyTransactionBoundary() {
		return new TransactionSynchronizationBoundary();
	}

	// One thread sweeps the running calls and hands due renewals to workers; closed with the context.
	@Bean
	@ConditionalOnMissingBean
	LeaseRenewer idempotentLeaseRenewer() {
		return new LeaseRenewer();
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyCallerResolver idempotencyCallerResolver(ObjectProvider<ThreadBoundRequest> request) {
		return new DefaultIdempotencyCallerResolver(request.getIfAvailable(() -> ThreadBoundRequest.NONE)::principal);
	}

	// The transport of last resort: a plain method call.
	@Bean
	@ConditionalOnMissingBean
	MethodCallTransport idempotencyMethodCallTransport(ObjectProvider<ThreadBoundRequest> request) {
		return new MethodCallTransport(request.getIfAvailable(() -> ThreadBoundRequest.NONE));
	}

	@Bean
	@ConditionalOnMissingBean
	MessageListenerTransport idempotencyMessageListenerTransport() {
		return new MessageListenerTransport();
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyKeyResolver idempotencyKeyResolver(BeanFactory beanFactory) {
		return new IdempotencyKeyResolver(beanFactory);
	}

	@Bean
	@ConditionalOnMissingBean
	JsonOutcomeCodecFactory idempotentOutcomeCodecFactory(ObjectProvider<JsonMapper> jsonMapper) {
		return new JsonOutcomeCodecFactory(jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()));
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyFingerprinter idempotencyFingerprinter(ObjectProvider<JsonMapper> jsonMapper) {
		return new IdempotencyFingerprinter(jsonMapper.getIfAvailable(() -> JsonMapper.builder().build()));
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyOperationSource idempotentOperationSource(IdempotencyProperties properties,
			ConfigurableBeanFactory beanFactory, JsonOutcomeCodecFactory codecs,
			ObjectProvider<IdempotencyTransport> transports, MethodCallTransport methodCalls) {
		// The application's and the library's transports in their order; a plain method call is the last.
		List<IdempotencyTransport> ordered = new ArrayList<>(transports.orderedStream()
			.filter((transport) -> transport != methodCalls)
			.toList());
		ordered.add(methodCalls);
		return new IdempotencyOperationSource(properties.toDefaults(), new EmbeddedValueResolver(beanFactory), codecs,
				ordered);
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyInterceptor idempotentInterceptor(IdempotencyEngine engine, IdempotencyOperationSource operations,
			IdempotencyKeyResolver keys, IdempotencyCallerResolver callers, IdempotencyFingerprinter fingerprints,
			IdempotencyObservations observations) {
		return new IdempotencyInterceptor(engine, operations, keys, callers, fingerprints, observations);
	}

	// Static and lazy: advisors are created before most beans, and this one must not drag the
	// store and its connection along.
	@Bean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	@ConditionalOnMissingBean
	static IdempotencyAdvisor idempotentAdvisor(ObjectProvider<IdempotencyInterceptor> interceptor) {
		return new IdempotencyAdvisor(interceptor::getObject);
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyTokenOperations idempotentTokenOperations() {
		return new IdempotencyTokenOperations();
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotenceService idempotenceService(IdempotencyEngine engine, IdempotencyCallerResolver callers,
			IdempotencyTokenOperations tokenOperations, IdempotencyProperties properties, JsonOutcomeCodecFactory codecs,
			IdempotencyObservations observations) {
		return new IdempotenceService(engine, callers, tokenOperations, properties.toDefaults(), codecs, observations);
	}

}
