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
