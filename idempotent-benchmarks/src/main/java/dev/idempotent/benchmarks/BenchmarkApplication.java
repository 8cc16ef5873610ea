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
package dev.idempotent.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.test.NoOpIdempotencyStore;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The application the benchmarks call into: the starter, auto-configured as an application gets
 * it, with the annotated and the plain method as beans.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class BenchmarkApplication {

	/** System property naming the Redis to benchmark against. */
	public static final String REDIS_URL_PROPERTY = "idempotent.bench.redis.url";

	/** Environment variable naming the Redis to benchmark against, when the property is not set. */
	public static final String REDIS_URL_ENV = "IDEMPOTENT_BENCH_REDIS_URL";

	static final String DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

	@Bean
	IdempotentReceipts idempotentReceipts() {
		return new IdempotentReceipts();
	}

	@Bean
	PlainReceipts plainReceipts() {
		return new PlainReceipts();
	}

	@Bean
	ReactiveReceipts reactiveReceipts() {
		return new ReactiveReceipts();
	}

	/** The Redis to benchmark against: the system property, else the environment variable, else loopback. */
	static String redisUrl() {
		String url = System.getProperty(REDIS_URL_PROPERTY, System.getenv(REDIS_URL_ENV));
		return (url == null || url.isBlank()) ? DEFAULT_REDIS_URL : url.trim();
	}

	/**
	 * Starts the application on one store.
	 * @param store {@code redis}, {@code redis-near-cache} (Redis with its near-cache on),
	 * {@code in-memory} or {@code no-op}
	 * @param keyPrefix prefix of every storage key, so a run never touches another run's keys
	 * @param retention the lease and retention of the annotated method
	 */
	static ConfigurableApplicationContext start(String store, String keyPrefix, String retention) {
		if (store.equals("redis-near-cache")) {
			return start("redis", keyPrefix, retention, Map.of("idempotent.redis.near-cache.enabled", "true"));
		}
		return start(store, keyPrefix, retention, Map.of());
	}

	private static ConfigurableApplicationContext start(String store, String keyPrefix, String retention,
			Map<String, Object> more) {
		Map<String, Object> properties = new LinkedHashMap<>();
		properties.put("spring.main.banner-mode", "off");
		properties.put("spring.main.log-startup-info", "false");
		properties.put("logging.level.root", "WARN");
		properties.put("spring.data.redis.url", redisUrl());
		properties.put("idempotent.key-prefix", keyPrefix);
		properties.put("bench.store", store);
		properties.put("bench.retention", retention);
		if (!"redis".equals(store)) {
			// The in-process benchmarks use a one-second lease to keep their records few; a lease must be at
			// least three store timeouts, and these stores make no network calls to time out.
			properties.put("idempotent.store.timeout", "250ms");
		}
		// The one-second retention at a few hundred thousand calls a second holds more than the default
		// bound of the in-memory store: a benchmark measures calls, not refusals.
		properties.put("idempotent.memory.max-records", "10000000");
		if (!store.equals("no-op")) {
			properties.put("idempotent.store.type", store);
		}
		properties.putAll(more);
		return new SpringApplicationBuilder(BenchmarkApplication.class).web(WebApplicationType.NONE)
			.properties(properties)
			.run();
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(name = "bench.store", havingValue = "no-op")
	static class NoOpStoreConfiguration {

		@Bean
		IdempotencyStore noOpIdempotencyStore() {
			return new NoOpIdempotencyStore();
		}

	}

}
