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

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.idempotent.spring.transport.FingerprintInputs;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.support.MessageBuilder;
import org.springframework.util.ReflectionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Where {@link KafkaListenerTransport} reads a record's key (the named header, else the record key) from
 * each kind of listener parameter, and what its fingerprint leaves out. The transport on a real broker:
 * the Kafka listener tests of the auto-configuration module.
 */
class KafkaListenerTransportTests {

	private final KafkaListenerTransport transport = new KafkaListenerTransport();

	@Test
	void supportsKafkaListenersOnly() {
		assertThat(this.transport.supports(method("record"))).isTrue();
		assertThat(this.transport.supports(ReflectionUtils.findMethod(Object.class, "toString"))).isFalse();
	}

	@Test
	void consumerRecordGivesItsHeaderElseItsKey() {
		ConsumerRecord<String, String> record = new ConsumerRecord<>("topic", 0, 0, "record-key", "value");
		assertThat(this.transport.key("Idempotency-Key", method("record"), new Object[] { record }))
			.isEqualTo("record-key");
		record.headers().add("Idempotency-Key", "first".getBytes(StandardCharsets.UTF_8));
		record.headers().add("Idempotency-Key", "header-key".getBytes(StandardCharsets.UTF_8));
		assertThat(this.transport.key("Idempotency-Key", method("record"), new Object[] { record }))
			.as("the last header of that name").isEqualTo("header-key");
		assertThat(this.transport.key("Idempotency-Key", method("record"),
				new Object[] { new ConsumerRecord<>("topic", 0, 0, null, "value") })).isNull();
	}

	@Test
	void messageGivesItsHeaderElseItsReceivedKey() {
		Message<String> keyed = MessageBuilder.withPayload("value").setHeader(KafkaHeaders.RECEIVED_KEY, "record-key")
			.build();
		assertThat(this.transport.key("payment-id", method("message"), new Object[] { keyed })).isEqualTo("record-key");
		Message<String> headed = MessageBuilder.fromMessage(keyed)
			.setHeader("payment-id", "header-key".getBytes(StandardCharsets.UTF_8))
			.build();
		assertThat(this.transport.key("payment-id", method("message"), new Object[] { headed })).isEqualTo("header-key");
	}

	@Test
	void headerParametersGiveTheNamedHeaderElseTheReceivedKey() {
		Method method = method("headers", String.class, String.class, String.class);
		assertThat(this.transport.key("payment-id", method, new Object[] { "value", "header-key", "record-key" }))
			.isEqualTo("header-key");
		assertThat(this.transport.key("payment-id", method, new Object[] { "value", null, "record-key" }))
			.isEqualTo("record-key");
		assertThat(this.transport.key("payment-id", method, new Object[] { "value", null, null })).isNull();
	}

	@Test
	void aListenerWithNothingCarryingTheKeyFailsSayingWhatToAdd() {
		assertThatIllegalStateException()
			.isThrownBy(() -> this.transport.key("Idempotency-Key", method("payload", String.class),
					new Object[] { "value" }))
			.withMessageContaining("payload")
			.withMessageContaining("@Header(\"Idempotency-Key\")")
			.withMessageContaining("ConsumerRecord");
	}

	@Test
	void fingerprintIsTheValueNotTheDelivery() {
		ConsumerRecord<String, String> first = new ConsumerRecord<>("topic", 0, 5, "key", "value");
		ConsumerRecord<String, String> redelivered = new ConsumerRecord<>("topic", 2, 9, "key", "value");
		redelivered.headers().add("kafka_deliveryAttempt", new byte[] { 2 });
		assertThat(fingerprint(method("record"), first)).isEqualTo(fingerprint(method("record"), redelivered))
			.containsExactly("arguments", List.of("value"));
		Method headers = method("headers", String.class, String.class, String.class);
		assertThat(fingerprint(headers, "value", "a", "b")).isEqualTo(fingerprint(headers, "value", "c", "d"))
			.containsExactly("arguments", List.of("value"));
		Method acknowledged = method("acknowledged", String.class, Acknowledgment.class);
		assertThat(fingerprint(acknowledged, "value", (Acknowledgment) () -> {
		})).containsExactly("arguments", List.of("value"));
		assertThat(fingerprint(method("message"), MessageBuilder.withPayload("value").build()))
			.containsExactly("arguments", List.of("value"));
	}

	private List<Object> fingerprint(Method method, Object... arguments) {
		List<Object> parts = new ArrayList<>();
		this.transport.fingerprint(method, arguments, new FingerprintInputs() {

			@Override
			public FingerprintInputs text(String text) {
				parts.add(text);
				return this;
			}

			@Override
			public FingerprintInputs body(byte @Nullable [] body, @Nullable String contentType) {
				throw new UnsupportedOperationException();
			}

			@Override
			public FingerprintInputs values(@Nullable Object values) {
				parts.add(List.of((Object[]) values));
				return this;
			}

		});
		return parts;
	}

	private static Method method(String name, Class<?>... parameterTypes) {
		Class<?>[] types = (parameterTypes.length > 0) ? parameterTypes
				: switch (name) {
					case "record" -> new Class<?>[] { ConsumerRecord.class };
					case "message" -> new Class<?>[] { Message.class };
					default -> new Class<?>[0];
				};
		Method method = ReflectionUtils.findMethod(Listeners.class, name, types);
		assertThat(method).as(name).isNotNull();
		return method;
	}

	static class Listeners {

		@KafkaListener(topics = "records")
		void record(ConsumerRecord<String, String> record) {
		}

		@KafkaListener(topics = "messages")
		void message(Message<String> message) {
		}

		@KafkaListener(topics = "payments")
		void headers(String payment, @Header(name = "payment-id", required = false) String paymentId,
				@Header(KafkaHeaders.RECEIVED_KEY) String recordKey) {
		}

		@KafkaListener(topics = "payloads")
		void payload(String payload) {
		}

		@KafkaListener(topics = "acknowledged")
		void acknowledged(String payload, Acknowledgment acknowledgment) {
		}

	}

}
