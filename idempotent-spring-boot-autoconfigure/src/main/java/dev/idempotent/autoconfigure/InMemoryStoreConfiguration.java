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

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * The in-memory store: when chosen explicitly, or when no other store could be configured. Bounded
 * by {@code idempotent.memory.max-records}; its sweeping thread stops when the context closes.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingBean(IdempotencyStore.class)
@Conditional(StoreTypeCondition.InMemory.class)
class InMemoryStoreConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(InMemoryStoreConfiguration.class);

	// Closed with the context (an inferred close method), which stops its sweeping thread.
	@Bean
	InMemoryIdempotencyStore idempotencyStore(IdempotencyProperties properties, ObjectProvider<Clock> clock) {
		if (properties.getStore().getType() == null) {
			logger.warn("No RedisConnectionFactory found: @Idempotent uses the in-memory store, which protects "
					+ "this single instance only and forgets every key on restart. Configure Redis "
					+ "(spring.data.redis.*) or set idempotent.store.type=in-memory to acknowledge this.");
		}
		else {
			logger.info("@Idempotent uses the in-memory store: it protects this single instance only");
		}
		IdempotencyProperties.Memory memory = properties.getMemory();
		return new InMemoryIdempotencyStore(clock.getIfAvailable(Clock::systemUTC), memory.getMaxRecords(),
				memory.getSweepInterval());
	}

}
