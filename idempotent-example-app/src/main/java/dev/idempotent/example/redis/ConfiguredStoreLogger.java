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
package dev.idempotent.example.redis;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.jdbc.JdbcIdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/** Says at start-up where the example keeps its idempotency records. */
@Component
class ConfiguredStoreLogger {

	private static final Logger logger = LoggerFactory.getLogger(ConfiguredStoreLogger.class);

	private final ObjectProvider<DataRedisConnectionDetails> connectionDetails;

	private final ObjectProvider<IdempotencyStore> store;

	private final Environment environment;

	ConfiguredStoreLogger(ObjectProvider<DataRedisConnectionDetails> connectionDetails,
			ObjectProvider<IdempotencyStore> store, Environment environment) {
		this.connectionDetails = connectionDetails;
		this.store = store;
		this.environment = environment;
	}

	@EventListener(ApplicationReadyEvent.class)
	void logStore() {
		IdempotencyStore chosen = this.store.getIfAvailable();
		if (chosen instanceof JdbcIdempotencyStore) {
			String url = this.environment.getProperty("spring.datasource.url", "");
			logger.info("Idempotency records in the database at {}", url.replaceAll("[?;].*", ""));
			return;
		}
		if (!(chosen instanceof RedisIdempotencyStore)) {
			return;
		}
		DataRedisConnectionDetails details = this.connectionDetails.getIfAvailable();
		if (details == null) {
			return;
		}
		if (details.getSentinel() != null) {
			logger.info("Idempotency records in Redis Sentinel master '{}'", details.getSentinel().getMaster());
		}
		else if (details.getCluster() != null) {
			logger.info("Idempotency records in Redis Cluster {}", details.getCluster().getNodes());
		}
		else if (details.getStandalone() != null) {
			logger.info("Idempotency records in Redis at {}:{}", details.getStandalone().getHost(),
					details.getStandalone().getPort());
		}
	}

}
