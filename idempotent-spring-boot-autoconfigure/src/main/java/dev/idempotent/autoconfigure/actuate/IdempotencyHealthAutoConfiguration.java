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

import java.util.List;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.autoconfigure.IdempotencyProperties;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.redis.RedisMemoryPolicy;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * The {@code idempotency} health indicator, when Spring Boot's health support is present
 * ({@code management.health.idempotency.enabled=false} turns it off).
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnEnabledHealthIndicator("idempotency")
@ConditionalOnBean(IdempotencyStore.class)
public final class IdempotencyHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "idempotencyHealthIndicator")
	IdempotencyHealthIndicator idempotencyHealthIndicator(IdempotencyStore store,
			ObjectProvider<IdempotencyHealthIndicator.Details> details) {
		return new IdempotencyHealthIndicator(store, details.orderedStream().toList());
	}

	/** Redis's memory policy and evicted keys, beside the store's health. */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ RedisIdempotencyStore.class, RedisConnectionFactory.class })
	@ConditionalOnBean({ RedisIdempotencyStore.class, RedisConnectionFactory.class })
	static class RedisHealth {

		@Bean
		IdempotencyHealthIndicator.Details idempotencyRedisMemory(RedisConnectionFactory connectionFactory,
				IdempotencyProperties properties) {
			boolean acceptEviction = properties.getRedis().isAcceptEviction();
			return (health) -> {
				RedisMemoryPolicy memory = RedisMemoryPolicy.read(connectionFactory);
				health.withDetail("maxmemoryPolicy", memory.policy())
					.withDetail("maxmemoryBytes", memory.maxMemoryBytes())
					.withDetail("evictedKeys", memory.evictedKeys());
				if (memory.evicts() && acceptEviction) {
					health.withDetail("evictionAccepted", true);
				}
				else if (memory.evicts()) {
					// Changed since start-up: an evicted record lets a retry run again.
					health.down()
						.withDetail("error", "Redis may evict idempotency records (maxmemory-policy "
								+ memory.policy() + "); set noeviction or idempotent.redis.accept-eviction=true");
				}
			};
		}

	}

}
