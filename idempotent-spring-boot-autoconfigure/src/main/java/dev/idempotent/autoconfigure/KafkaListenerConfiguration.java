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
package dev.idempotent.autoconfigure;

import java.util.function.Supplier;

import dev.idempotent.spring.messaging.kafka.KafkaListenerTransport;
import dev.idempotent.spring.messaging.kafka.RefusedRecordErrorHandler;
import dev.idempotent.spring.messaging.kafka.RefusedRecordErrorHandlers;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.util.function.SingletonSupplier;

/**
 * Kafka listeners, where Spring Kafka is on the class path: the transport that reads a record's key
 * from a header or the record key, and the error handler, put in front of every container's own, that
 * decides what a refused record becomes (consumed again later, or published to {@code <topic>-dlt}
 * with the application's {@code KafkaTemplate}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(KafkaListener.class)
class KafkaListenerConfiguration {

	@Bean
	@ConditionalOnMissingBean
	KafkaListenerTransport idempotencyKafkaListenerTransport() {
		return new KafkaListenerTransport();
	}

	// No condition on the registry: @EnableKafka registers it after the auto-configurations are read.
	@Bean
	@ConditionalOnMissingBean
	RefusedRecordErrorHandlers idempotencyRefusedRecordErrorHandlers(ObjectProvider<KafkaListenerEndpointRegistry> registry,
			ObjectProvider<KafkaOperations<?, ?>> templates) {
		return new RefusedRecordErrorHandlers(registry, deadLetters(templates));
	}

	// The template is looked up when the first record is dead-lettered. Without one, the record is not
	// committed and is consumed again: never lost.
	private static ConsumerRecordRecoverer deadLetters(ObjectProvider<KafkaOperations<?, ?>> templates) {
		Supplier<DeadLetterPublishingRecoverer> publisher = SingletonSupplier.of(() -> {
			KafkaOperations<?, ?> template = templates.getIfUnique();
			if (template == null) {
				throw new IllegalStateException("A refused record cannot be dead-lettered without exactly one "
						+ "KafkaTemplate bean; it is not committed, and is consumed again");
			}
			return RefusedRecordErrorHandler.deadLetterPublisher(template);
		});
		return (record, ex) -> publisher.get().accept(record, ex);
	}

}
