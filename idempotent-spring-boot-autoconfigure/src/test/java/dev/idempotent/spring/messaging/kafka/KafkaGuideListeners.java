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
package dev.idempotent.spring.messaging.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.spring.Idempotent;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;

/**
 * The listeners of the Kafka guide ({@code docs/guides/kafka-listeners.md}), as the page shows them:
 * {@link KafkaListenerGuideTest} checks that every Java block of the page is here, and
 * {@link IdempotentKafkaListenerTests} runs them.
 */
public class KafkaGuideListeners {

	private final Shipping shipping = new Shipping();

	private final Payments payments = new Payments();

	// The key: the record's Idempotency-Key header, else its record key.
	@KafkaListener(topics = "shipments", groupId = "shipping")
	@Idempotent(name = "shipments")
	public void ship(ConsumerRecord<String, String> record) {
		shipping.ship(record.value());
	}

	// The key: the record's payment-id header, else its record key, from @Header parameters.
	@KafkaListener(topics = "payments", groupId = "payments")
	@Idempotent(name = "payments", header = "payment-id")
	public void pay(String payment, @Header(name = "payment-id", required = false) String paymentId,
			@Header(name = KafkaHeaders.RECEIVED_KEY, required = false) String recordKey) {
		payments.pay(payment);
	}

	Shipping shipping() {
		return this.shipping;
	}

	Payments payments() {
		return this.payments;
	}

	/** Counts the shipments shipped, by value. */
	static class Shipping {

		private final Map<String, AtomicInteger> shipped = new ConcurrentHashMap<>();

		void ship(String shipment) {
			this.shipped.computeIfAbsent(shipment, (key) -> new AtomicInteger()).incrementAndGet();
		}

		int shipped(String shipment) {
			AtomicInteger shipped = this.shipped.get(shipment);
			return (shipped != null) ? shipped.get() : 0;
		}

	}

	/** Counts the payments paid, by value. */
	static class Payments {

		private final Map<String, AtomicInteger> paid = new ConcurrentHashMap<>();

		void pay(String payment) {
			this.paid.computeIfAbsent(payment, (key) -> new AtomicInteger()).incrementAndGet();
		}

		int paid(String payment) {
			AtomicInteger paid = this.paid.get(payment);
			return (paid != null) ? paid.get() : 0;
		}

	}

}
