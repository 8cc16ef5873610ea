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
package dev.idempotent.example;

import java.util.HashMap;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The example carries the JDBC starter and drivers for {@code idempotent.store.type=jdbc} and the AMQP
 * starter for the shipments consumer, but runs on Redis alone by default. Without a
 * {@code spring.datasource.url}, Spring Boot would fail to start, so the DataSource auto-configuration
 * is left out; without a RabbitMQ broker configured, the health endpoint would look for one on
 * localhost and report the application down, so the RabbitMQ health check is switched off.
 */
class OptionalServices implements EnvironmentPostProcessor {

	private static final String DATA_SOURCE_AUTO_CONFIGURATION =
			"org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration";

	private static final String RABBIT_HEALTH = "management.health.rabbit.enabled";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		Map<String, Object> properties = new HashMap<>();
		if (!environment.containsProperty("spring.datasource.url")) {
			String excluded = environment.getProperty("spring.autoconfigure.exclude", "");
			properties.put("spring.autoconfigure.exclude", excluded.isBlank() ? DATA_SOURCE_AUTO_CONFIGURATION
					: excluded + "," + DATA_SOURCE_AUTO_CONFIGURATION);
		}
		if (!environment.containsProperty("spring.rabbitmq.host") && !environment.containsProperty(RABBIT_HEALTH)) {
			properties.put(RABBIT_HEALTH, false);
		}
		if (!properties.isEmpty()) {
			environment.getPropertySources().addFirst(new MapPropertySource("exampleOptionalServices", properties));
		}
	}

}
