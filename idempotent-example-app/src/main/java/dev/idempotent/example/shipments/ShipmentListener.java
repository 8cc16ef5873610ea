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

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.spring.Idempotent;

import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.messaging.handler.annotation.Header;

/**
 * Consumes the shipments queue. RabbitMQ delivers at least once (a publisher retries, a consumer dies
 * before its acknowledgement), and the message id makes that exactly once: a copy of a processed
 * message is acknowledged without running, a copy of one still running waits for it, and the
 * redelivery of a message whose consumer died runs once its claim lapses.
 */
class ShipmentListener {

	private final List<Shipment> processed = new CopyOnWriteArrayList<>();

	@RabbitListener(queues = "${example.shipments.queue}")
	@Idempotent(name = "shipments", key = "#messageId")
	void process(ShipmentMessage message, @Header(AmqpHeaders.MESSAGE_ID) String messageId)
			throws InterruptedException {
		if (message.shipmentId() == null || message.shipmentId().isBlank()) {
			// No retry can fix it: to the dead-letter exchange, if the queue has one.
			throw new AmqpRejectAndDontRequeueException("A shipment message needs a shipmentId");
		}
		if (message.processingMillis() != null && message.processingMillis() > 0) {
			Thread.sleep(message.processingMillis());
		}
		this.processed.add(new Shipment(message.shipmentId(), messageId, Instant.now()));
	}

	/** The shipments processed so far, oldest first. */
	List<Shipment> processed() {
		return List.copyOf(this.processed);
	}

}
