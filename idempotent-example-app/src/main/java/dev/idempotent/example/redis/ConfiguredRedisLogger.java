package dev.idempotent.example.redis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Says at start-up which Redis the example uses. */
@Component
class ConfiguredRedisLogger {

	private static final Logger logger = LoggerFactory.getLogger(ConfiguredRedisLogger.class);

	private final ObjectProvider<DataRedisConnectionDetails> connectionDetails;

	ConfiguredRedisLogger(ObjectProvider<DataRedisConnectionDetails> connectionDetails) {
		this.connectionDetails = connectionDetails;
	}

	@EventListener(ApplicationReadyEvent.class)
	void logRedis() {
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
