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

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.spring.Idempotent;
import io.lettuce.core.resource.Delay;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.ImmediateRequeueAmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.Argument;
import org.springframework.amqp.rabbit.annotation.Queue;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.config.SimpleRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.amqp.autoconfigure.SimpleRabbitListenerContainerFactoryConfigurer;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.messaging.handler.annotation.Header;

/**
 * A RabbitMQ consumer with {@link Idempotent} listeners on queues named by {@code test.queue-prefix},
 * on a Redis store. Runs inside the tests and, for the crash test, as a separate JVM ({@link #main}).
 * Every delivery is recorded with what the container did with it ({@link Deliveries}).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class RabbitListenerTestApp {

	public static void main(String[] args) {
		SpringApplication.run(RabbitListenerTestApp.class, args);
	}

	@Bean
	Listeners listeners(@Value("${test.crash.block:false}") boolean blockOnCrash) {
		return new Listeners(blockOnCrash);
	}

	@Bean
	Deliveries deliveries() {
		return new Deliveries();
	}

	// Key reused or missing: rejected without requeue, the message lands here.
	@Bean
	org.springframework.amqp.core.Queue deadLetters(@Value("${test.queue-prefix}dead") String name) {
		return QueueBuilder.nonDurable(name).expires(60_000).build();
	}

	@Bean
	SimpleRabbitListenerContainerFactory rabbitListenerContainerFactory(
			SimpleRabbitListenerContainerFactoryConfigurer configurer, ConnectionFactory connectionFactory,
			Deliveries deliveries) {
		SimpleRabbitListenerContainerFactory factory = new SimpleRabbitListenerContainerFactory();
		configurer.configure(factory, connectionFactory);
		factory.setAdviceChain(deliveries);
		return factory;
	}

	// Back from an outage, Redis answers the next delivery rather than after Lettuce's 30 s back-off.
	@Bean
	ClientResourcesBuilderCustomizer quickRedisReconnect() {
		return (resources) -> resources
			.reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(250), 2, TimeUnit.MILLISECONDS));
	}

	/** The listeners, counting how often each message id ran. */
	public static class Listeners {

		private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

		private final Map<String, Instant> crashRunStarted = new ConcurrentHashMap<>();

		private final boolean blockOnCrash;

		private volatile CountDownLatch slowGate = new CountDownLatch(0);

		Listeners(boolean blockOnCrash) {
			this.blockOnCrash = blockOnCrash;
		}

		// Three consumers, so copies of one message are processed at the same time.
		@RabbitListener(id = "once", concurrency = "3", queuesToDeclare = @Queue(
				name = "${test.queue-prefix}once", autoDelete = "true"))
		@Idempotent(name = "once", key = "#messageId")
		public void once(String body, @Header(AmqpHeaders.MESSAGE_ID) String messageId) {
			count(messageId);
		}

		// The redelivered flag differs between deliveries, so neither it nor the Message's properties are
		// part of the fingerprint: the body is.
		@RabbitListener(id = "flaky", queuesToDeclare = @Queue(
				name = "${test.queue-prefix}flaky", autoDelete = "true"))
		@Idempotent(name = "flaky", key = "#message.messageProperties.messageId")
		public void flaky(Message message, @Header(AmqpHeaders.REDELIVERED) boolean redelivered) {
			if (count(message.getMessageProperties().getMessageId()) == 1) {
				throw new IllegalStateException("downstream unavailable");
			}
		}

		@RabbitListener(id = "slow", concurrency = "2", queuesToDeclare = @Queue(
				name = "${test.queue-prefix}slow", autoDelete = "true"))
		@Idempotent(name = "slow", key = "#messageId", awaitCompletion = "300ms")
		public void slow(String body, @Header(AmqpHeaders.MESSAGE_ID) String messageId) throws InterruptedException {
			count(messageId);
			if (!this.slowGate.await(30, TimeUnit.SECONDS)) {
				throw new IllegalStateException("the test never opened the gate");
			}
		}

		@RabbitListener(id = "strict", queuesToDeclare = @Queue(
				name = "${test.queue-prefix}strict", autoDelete = "true",
				arguments = { @Argument(name = "x-dead-letter-exchange", value = ""),
						@Argument(name = "x-dead-letter-routing-key", value = "${test.queue-prefix}dead") }))
		@Idempotent(name = "strict", key = "#messageId")
		public void strict(String body, @Header(name = AmqpHeaders.MESSAGE_ID, required = false) String messageId) {
			count(messageId + ":" + body);
		}

		// Started by the crash test only; the other JVM blocks in it until it is killed.
		@RabbitListener(id = "crash", autoStartup = "${test.crash.auto-startup:false}",
				queuesToDeclare = @Queue(name = "${test.queue-prefix}crash",
						autoDelete = "true"))
		@Idempotent(name = "crash", key = "#messageId", lease = "2s")
		public void crash(String body, @Header(AmqpHeaders.MESSAGE_ID) String messageId) throws InterruptedException {
			this.crashRunStarted.putIfAbsent(messageId, Instant.now());
			count(messageId);
			if (this.blockOnCrash) {
				new CountDownLatch(1).await();
			}
		}

		private int count(String id) {
			return this.runs.computeIfAbsent(id, (key) -> new AtomicInteger()).incrementAndGet();
		}

		/** How often the method ran for a message id (the strict listener: {@code id:body}). */
		public int runs(String id) {
			AtomicInteger runs = this.runs.get(id);
			return (runs != null) ? runs.get() : 0;
		}

		/** When the crash listener started running a message here, if it did. */
		public @Nullable Instant crashRunStarted(String messageId) {
			return this.crashRunStarted.get(messageId);
		}

		/** Holds the slow listener in its method until {@link #openSlowGate()}. */
		public void closeSlowGate() {
			this.slowGate = new CountDownLatch(1);
		}

		public void openSlowGate() {
			this.slowGate.countDown();
		}

	}

	/** Records each delivery and what the listener answered the container. */
	public static class Deliveries implements MethodInterceptor {

		private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			Message message = (Message) invocation.getArguments()[1];
			Instant at = Instant.now();
			try {
				Object result = invocation.proceed();
				record(message, at, Answer.ACKNOWLEDGED);
				return result;
			}
			catch (Throwable ex) {
				record(message, at, answer(ex));
				throw ex;
			}
		}

		private void record(Message message, Instant at, Answer answer) {
			this.deliveries.add(new Delivery(message.getMessageProperties().getConsumerQueue(),
					message.getMessageProperties().getMessageId(),
					Boolean.TRUE.equals(message.getMessageProperties().isRedelivered()), at, answer));
		}

		private static Answer answer(Throwable ex) {
			for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
				if (cause instanceof ImmediateRequeueAmqpException) {
					return Answer.REQUEUED;
				}
				if (cause instanceof AmqpRejectAndDontRequeueException) {
					return Answer.REJECTED;
				}
			}
			return Answer.FAILED;
		}

		/** The deliveries of a message id so far, in order. */
		public List<Delivery> of(String messageId) {
			return this.deliveries.stream().filter((delivery) -> messageId.equals(delivery.messageId())).toList();
		}

	}

	/**
	 * One delivery of a message to a listener.
	 *
	 * @param queue the queue it came from
	 * @param messageId its AMQP message id
	 * @param redelivered whether the broker flagged it as redelivered
	 * @param at when the listener got it
	 * @param answer what the listener answered
	 */
	public record Delivery(String queue, @Nullable String messageId, boolean redelivered, Instant at, Answer answer) {
	}

	/** What a listener answered a delivery. */
	public enum Answer {

		/** Returned normally: acknowledged. */
		ACKNOWLEDGED,

		/** Requeued for a later redelivery, whatever the container's default. */
		REQUEUED,

		/** Rejected without requeue: dead-lettered. */
		REJECTED,

		/** Threw: the container's default decides (requeue). */
		FAILED

	}

}
