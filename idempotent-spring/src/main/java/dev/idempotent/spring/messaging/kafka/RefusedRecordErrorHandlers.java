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

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * Puts a {@link RefusedRecordErrorHandler} in front of the error handler of every Kafka listener
 * container of the application before the containers start, whichever factory built them and whatever
 * error handler it gave them: what a record refused by an {@link dev.idempotent.spring.Idempotent}
 * listener becomes is the library's decision, not the container's. A container without an error handler
 * of its own keeps Spring Kafka's default ({@link DefaultErrorHandler}) for every other failure.
 */
public class RefusedRecordErrorHandlers implements SmartLifecycle {

	private final ObjectProvider<KafkaListenerEndpointRegistry> registry;

	private final ConsumerRecordRecoverer deadLetters;

	private volatile boolean running;

	/**
	 * @param registry the application's listener containers, if it has any; looked up when this starts, as
	 * {@code @EnableKafka} registers it late
	 * @param deadLetters publishes a record that no redelivery can process
	 */
	public RefusedRecordErrorHandlers(ObjectProvider<KafkaListenerEndpointRegistry> registry,
			ConsumerRecordRecoverer deadLetters) {
		this.registry = registry;
		this.deadLetters = deadLetters;
	}

	@Override
	public void start() {
		this.registry.ifAvailable((registry) -> {
			for (MessageListenerContainer container : registry.getAllListenerContainers()) {
				if (container instanceof AbstractMessageListenerContainer<?, ?> listenerContainer) {
					install(listenerContainer);
				}
			}
		});
		this.running = true;
	}

	private void install(AbstractMessageListenerContainer<?, ?> container) {
		@Nullable CommonErrorHandler current = container.getCommonErrorHandler();
		if (current instanceof RefusedRecordErrorHandler) {
			return;
		}
		container.setCommonErrorHandler(
				new RefusedRecordErrorHandler((current != null) ? current : new DefaultErrorHandler(), this.deadLetters));
	}

	@Override
	public void stop() {
		this.running = false;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/** Before any container: the containers start in a later phase. */
	@Override
	public int getPhase() {
		return Integer.MIN_VALUE;
	}

}
