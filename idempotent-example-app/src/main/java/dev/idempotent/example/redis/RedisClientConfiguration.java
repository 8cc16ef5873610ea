package dev.idempotent.example.redis;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.resource.Delay;

import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Lettuce settings that suit a fail-closed store. Lettuce reconnects on its own after an outage, but
 * by default backs off up to 30 s between attempts, so requests could keep failing with 503 long
 * after Redis is back. Capping the back-off makes the first request after Redis returns succeed.
 */
@Configuration(proxyBeanMethods = false)
class RedisClientConfiguration {

	@Bean
	ClientResourcesBuilderCustomizer quickRedisReconnect() {
		return (resources) -> resources
			.reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(250), 2, TimeUnit.MILLISECONDS));
	}

}
