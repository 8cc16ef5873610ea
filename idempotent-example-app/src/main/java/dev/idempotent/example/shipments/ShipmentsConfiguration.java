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
package dev.idempotent.example.shipments;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.support.converter.JacksonJsonMessageConverter;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The shipments consumer, wired only when a RabbitMQ broker is configured ({@code spring.rabbitmq.host}):
 * without one the example starts without it and never connects to a broker. The queue
 * ({@code example.shipments.queue}, default {@code example.shipments}) is declared on connection.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "spring.rabbitmq.host")
class ShipmentsConfiguration {

	@Bean
	Queue shipmentsQueue(@Value("${example.shipments.queue}") String name) {
		return QueueBuilder.durable(name).build();
	}

	// Messages are JSON (content type application/json), read as the listener's parameter type.
	@Bean
	JacksonJsonMessageConverter shipmentsMessageConverter(JsonMapper jsonMapper) {
		return new JacksonJsonMessageConverter(jsonMapper);
	}

	@Bean
	ShipmentListener shipmentListener() {
		return new ShipmentListener();
	}

}
