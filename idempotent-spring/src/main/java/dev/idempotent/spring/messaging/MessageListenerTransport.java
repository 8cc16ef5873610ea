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
package dev.idempotent.spring.messaging;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyException;
import dev.idempotent.core.IdempotencyKeyReusedException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.transport.FingerprintInputs;
import dev.idempotent.spring.transport.IdempotencyInvocation;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import dev.idempotent.spring.transport.ParameterFlags;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.annotation.MergedAnnotations.SearchStrategy;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.util.ClassUtils;

/**
 * {@link Idempotent} on a message listener: a method a listener container calls for each delivery,
 * recognised by {@code @RabbitListener}, {@code @RabbitHandler} or {@code @JmsListener} on it (Kafka
 * listeners have a transport of their own,
 * {@link dev.idempotent.spring.messaging.kafka.KafkaListenerTransport}).
 * Brokers deliver at least once, so the answers differ from a web call's:
 * <ul>
 * <li>a duplicate of a completed call is skipped: the method does not run and the call returns
 * {@code null}, so the container acknowledges the message, whatever {@link Idempotent#onDuplicate()}
 * says;</li>
 * <li>a duplicate of a call still running elsewhere first waits for it ({@link Idempotent#awaitCompletion()},
 * by default the lease and a second, so the claim of a consumer that died lapses within the wait):
 * it is then skipped, or runs if the first call released the key or died; if the first call is still
 * running, the message is requeued, to be redelivered later;</li>
 * <li>a store failure pauses for its {@code Retry-After} and requeues the message: never acknowledged,
 * never run;</li>
 * <li>a key used before for a different payload, and a missing or invalid key, reject the message
 * without requeueing it (to the queue's dead-letter exchange, if any): no redelivery can fix it;</li>
 * <li>what the method throws propagates as it does without the annotation, the key released or kept
 * per the exception policy.</li>
 * </ul>
 * For a {@code @RabbitListener}, requeueing and rejecting are forced with
 * {@code ImmediateRequeueAmqpException} and {@code AmqpRejectAndDontRequeueException}, whatever the
 * container's {@code default-requeue-rejected}; other containers get the library's exception and
 * handle it as they handle any failure. A {@code @JmsListener}'s container rolls back its transacted
 * session (Spring Boot's default) or recovers a {@code CLIENT_ACKNOWLEDGE} session, so the broker
 * redelivers the message; a rejected message is redelivered until the broker's delivery limit moves it
 * to its dead-letter queue. With {@code AUTO_ACKNOWLEDGE} and no transaction the message would already
 * be acknowledged: such a container must not carry an idempotent listener.
 */
public class MessageListenerTransport implements IdempotencyTransport {

	private static final Logger logger = LoggerFactory.getLogger(MessageListenerTransport.class);

	private static final ClassLoader CLASS_LOADER = MessageListenerTransport.class.getClassLoader();

	private static final boolean AMQP_PRESENT = ClassUtils.isPresent("org.springframework.amqp.core.Message",
			CLASS_LOADER);

	private static final List<String> RABBIT_LISTENERS = List.of(
			"org.springframework.amqp.rabbit.annotation.RabbitListener",
			"org.springframework.amqp.rabbit.annotation.RabbitHandler");

	private static final List<String> OTHER_LISTENERS = List.of("org.springframework.jms.annotation.JmsListener");

	// Arguments that describe a delivery rather than the message: they differ between deliveries of one
	// message, so a fingerprint leaves them out.
	private static final List<String> HEADER_ANNOTATIONS = List.of(
			"org.springframework.messaging.handler.annotation.Header",
			"org.springframework.messaging.handler.annotation.Headers");

	private static final List<Class<?>> DELIVERY_TYPES = Stream
		.of("com.rabbitmq.client.Channel", "org.springframework.amqp.core.MessageProperties", "jakarta.jms.Session")
		.filter((name) -> ClassUtils.isPresent(name, CLASS_LOADER))
		.<Class<?>>map((name) -> ClassUtils.resolveClassName(name, CLASS_LOADER))
		.toList();

	private static final boolean MESSAGING_PRESENT = ClassUtils
		.isPresent("org.springframework.messaging.Message", CLASS_LOADER);

	private static final boolean JMS_PRESENT = ClassUtils.isPresent("jakarta.jms.Message", CLASS_LOADER);

	// How much longer than the lease a duplicate waits by default, so a dead consumer's claim lapses
	// within the wait even when it was renewed just before the consumer died.
	private static final Duration LAPSE_MARGIN = Duration.ofSeconds(1);

	// Which parameters are @Header or @Headers.
	private final ParameterFlags headerParameters = new ParameterFlags((listener, index) -> {
		MergedAnnotations annotations = MergedAnnotations.from(listener.getParameters()[index]);
		return HEADER_ANNOTATIONS.stream().anyMatch(annotations::isPresent);
	});

	/** Whether a listener container calls the method: one of the listener annotations is on it. */
	@Override
	public boolean supports(Method method) {
		MergedAnnotations annotations = MergedAnnotations.from(method, SearchStrategy.TYPE_HIERARCHY);
		return Stream.concat(RABBIT_LISTENERS.stream(), OTHER_LISTENERS.stream()).anyMatch(annotations::isPresent);
	}

	/**
	 * A listener's duplicate waits for a running call by default: the lease and a second, so the claim
	 * of a consumer that died lapses within the wait.
	 */
	@Override
	public Duration awaitCompletion(Duration lease) {
		return lease.plus(LAPSE_MARGIN);
	}

	/**
	 * What a listener's fingerprint covers: the message, not its delivery. An AMQP {@code Message}
	 * counts as its body, a Spring {@code Message} as its payload and a JMS {@code Message} as its body
	 * (the text of a {@code TextMessage}, the bytes of a {@code BytesMessage}); {@code @Header} and
	 * {@code @Headers} arguments, the channel or session and acknowledgement handles are left out, as
	 * the delivery tag and the redelivered flag differ between deliveries of one message.
	 */
	@Override
	public void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs) {
		inputs.text("arguments").values(payloads(this.headerParameters.of(method), arguments));
	}

	/** A listener's key comes from its message (a key expression), never from an HTTP request. */
	@Override
	public @Nullable String key(String header) {
		return null;
	}

	private static Object[] payloads(boolean[] headerParameters, Object[] arguments) {
		List<@Nullable Object> payloads = new ArrayList<>(arguments.length);
		for (int i = 0; i < arguments.length; i++) {
			Object argument = arguments[i];
			boolean delivery = headerParameters[i]
					|| (argument != null && DELIVERY_TYPES.stream().anyMatch((type) -> type.isInstance(argument)));
			if (!delivery) {
				payloads.add(payload(argument));
			}
		}
		return payloads.toArray();
	}

	private static @Nullable Object payload(@Nullable Object argument) {
		if (AMQP_PRESENT && Rabbit.isMessage(argument)) {
			return Rabbit.body(Objects.requireNonNull(argument));
		}
		if (MESSAGING_PRESENT && Messaging.isMessage(argument)) {
			return Messaging.payload(Objects.requireNonNull(argument));
		}
		if (JMS_PRESENT && Jms.isMessage(argument)) {
			return Jms.body(Objects.requireNonNull(argument));
		}
		return argument;
	}

	/**
	 * Runs a listener's call, or answers its duplicate the way a listener container understands.
	 * @return what the method returned, or {@code null} for a skipped duplicate
	 */
	@Override
	public @Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable {
		IdempotencyCall call = invocation.resolveCall();
		IdempotencyOperation operation = invocation.operation();
		return invocation.executeAnswering(call, (refusal) -> answerDuplicate(refusal, call, operation, invocation),
				() -> skipDuplicate(operation, call.key(), invocation));
	}

	private static @Nullable Object answerDuplicate(IdempotencyException ex, IdempotencyCall call,
			IdempotencyOperation operation, IdempotencyInvocation invocation) {
		if (ex instanceof DuplicateRequestException || ex instanceof ReplayUnavailableException) {
			return skipDuplicate(operation, call.key(), invocation);
		}
		if (ex instanceof RequestInProgressException) {
			logger.debug("A message's first processing is still running elsewhere; requeued for a later redelivery "
					+ "[operation={}, key={}]", operation.name(), call.key());
			throw requeue(ex, operation);
		}
		if (ex instanceof IdempotencyStorageUnavailableException unavailable) {
			// Requeued at once, the message would come straight back while the store is down.
			pause(unavailable.getRetryAfter());
			throw requeue(ex, operation);
		}
		// Key reused for another payload, missing or invalid: the same message can never be processed.
		logger.warn("Rejected a message that no redelivery can process: {} It is not requeued (it goes to the "
				+ "queue's dead-letter exchange, if any) [operation={}, key={}]", ex.getMessage(), operation.name(),
				(ex instanceof IdempotencyKeyReusedException) ? call.key() : "(not shown)");
		throw (AMQP_PRESENT && isRabbitListener(operation.method())) ? Rabbit.reject(ex) : ex;
	}

	/**
	 * The one place a listener's duplicate is skipped: the message was processed before, so the method
	 * does not run and the call returns {@code null}, which the container acknowledges. Its outcome is
	 * {@code skipped}, whatever the engine answered.
	 */
	private static @Nullable Object skipDuplicate(IdempotencyOperation operation, @Nullable String key,
			IdempotencyInvocation invocation) {
		invocation.recordOutcome(CallOutcome.SKIPPED);
		logger.debug("Skipped a duplicate message whose first processing completed; acknowledged without running "
				+ "[operation={}, key={}]", operation.name(), key);
		return null;
	}

	private static RuntimeException requeue(IdempotencyException ex, IdempotencyOperation operation) {
		return (AMQP_PRESENT && isRabbitListener(operation.method())) ? Rabbit.requeue(ex) : ex;
	}

	private static boolean isRabbitListener(Method method) {
		MergedAnnotations annotations = MergedAnnotations.from(method, SearchStrategy.TYPE_HIERARCHY);
		return RABBIT_LISTENERS.stream().anyMatch(annotations::isPresent);
	}

	private static void pause(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt(); // The container is stopping: requeue now.
		}
	}

	// Loaded only when Spring AMQP is present.
	private static final class Rabbit {

		static boolean isMessage(@Nullable Object argument) {
			return argument instanceof org.springframework.amqp.core.Message;
		}

		static byte[] body(Object message) {
			return ((org.springframework.amqp.core.Message) message).getBody();
		}

		static RuntimeException requeue(IdempotencyException ex) {
			return new org.springframework.amqp.ImmediateRequeueAmqpException(ex.getMessage(), ex);
		}

		static RuntimeException reject(IdempotencyException ex) {
			return new org.springframework.amqp.AmqpRejectAndDontRequeueException(ex.getMessage(), ex);
		}

	}

	// Loaded only when the JMS API is present.
	private static final class Jms {

		static boolean isMessage(@Nullable Object argument) {
			return argument instanceof jakarta.jms.Message;
		}

		static @Nullable Object body(Object argument) {
			jakarta.jms.Message message = (jakarta.jms.Message) argument;
			try {
				if (message instanceof jakarta.jms.TextMessage text) {
					return text.getText();
				}
				// The bytes of a BytesMessage, the map of a MapMessage, the object of an ObjectMessage.
				return message.getBody(Object.class);
			}
			catch (jakarta.jms.JMSException ex) {
				throw new IllegalArgumentException("Cannot read the body of JMS message for its fingerprint: "
						+ ex.getMessage(), ex);
			}
		}

	}

	// Loaded only when Spring Messaging is present.
	private static final class Messaging {

		static boolean isMessage(@Nullable Object argument) {
			return argument instanceof org.springframework.messaging.Message<?>;
		}

		static Object payload(Object message) {
			return ((org.springframework.messaging.Message<?>) message).getPayload();
		}

	}

}
