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

import java.util.UUID;

import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TestRabbit;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipments consumer on a real RabbitMQ: a message published three times with one message id is
 * processed once, {@code GET /shipments} lists one shipment, and the metrics count two skipped copies.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@TestInstance(Lifecycle.PER_CLASS)
class ShipmentsRabbitHttpTest {

	private static final String QUEUE = "example.shipments.test-" + UUID.randomUUID();

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		TestRabbit.register(registry);
		ExampleRedis.register(registry, "shipments-test-" + UUID.randomUUID() + ":");
		registry.add("example.shipments.queue", () -> QUEUE);
	}

	@LocalServerPort
	private int port;

	@Autowired
	private RabbitTemplate rabbit;

	@Autowired
	private IdempotenceService idempotence;

	@Autowired
	private AmqpAdmin admin;

	@Autowired
	private RabbitListenerEndpointRegistry listeners;

	// The example declares a durable queue; a consumer that lost it would declare it again.
	@AfterAll
	void deleteQueue() {
		this.listeners.stop();
		this.admin.deleteQueue(QUEUE);
	}

	@Test
	void sameMessagePublishedThreeTimesIsOneShipment() throws InterruptedException {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		String messageId = UUID.randomUUID().toString();
		for (int i = 0; i < 3; i++) {
			publish(messageId, "{\"shipmentId\":\"s-" + messageId + "\",\"processingMillis\":100}");
		}
		// One consumer takes messages in order: once a later message is processed, so are the copies.
		String later = UUID.randomUUID().toString();
		publish(later, "{\"shipmentId\":\"s-" + later + "\"}");
		Poll.until("the later message is processed", () -> shipped(http, later) == 1);

		assertThat(shipped(http, messageId)).isEqualTo(1);
		JsonNode shipment = json(http.get("alice", "/shipments")).values()
			.stream()
			.filter((node) -> node.get("messageId").asString().equals(messageId))
			.findFirst()
			.orElseThrow();
		assertThat(shipment.get("shipmentId").asString()).isEqualTo("s-" + messageId);
		assertThat(this.idempotence.find("shipments", null, messageId))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		assertThat(this.rabbit.receive(QUEUE)).as("every copy was acknowledged").isNull();
		Poll.until("both copies are counted as skipped",
				() -> http.metricCount("idempotency.requests", "operation:shipments", "outcome:skipped") == 2);
		assertThat(http.metricCount("idempotency.requests", "operation:shipments", "outcome:executed")).isEqualTo(2);
		assertThat(http.get("bob", "/shipments").statusCode()).isEqualTo(200);
		assertThat(http.get("mallory", "/shipments").statusCode()).as("authenticated like every endpoint")
			.isEqualTo(401);
	}

	private static long shipped(ExampleHttpClient http, String messageId) {
		return json(http.get("alice", "/shipments")).values()
			.stream()
			.filter((node) -> node.get("messageId").asString().equals(messageId))
			.count();
	}

	private void publish(String messageId, String json) {
		this.rabbit.send(QUEUE, TestRabbit.message(messageId, MessageProperties.CONTENT_TYPE_JSON, json));
	}

}
