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

import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.spring.Idempotent;
import io.lettuce.core.resource.Delay;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.Session;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.artemis.autoconfigure.ArtemisConfigurationCustomizer;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.boot.jms.autoconfigure.DefaultJmsListenerContainerFactoryConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.jms.annotation.JmsListener;
import org.springframework.jms.config.DefaultJmsListenerContainerFactory;
import org.springframework.jms.listener.DefaultMessageListenerContainer;
import org.springframework.messaging.handler.annotation.Header;

/**
 * A JMS consumer with {@link Idempotent} {@code @JmsListener} methods on an ActiveMQ Artemis broker, on a
 * Redis store; the key is the message's {@value #KEY_PROPERTY} property. Inside the tests the broker is
 * embedded (Spring Boot's embedded mode), with a TCP acceptor on {@code test.broker.port}; for the crash
 * test it also runs as a separate JVM ({@link #main}) that consumes from that broker over TCP. Every
 * delivery is recorded with what the listener answered the container ({@link Deliveries}).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class JmsListenerTestApp {

	/** The message property the listeners read their key from. */
	public static final String KEY_PROPERTY = "IdempotencyKey";

	public static void main(String[] args) {
		SpringApplication.run(JmsListenerTestApp.class, args);
	}

	@Bean
	Listeners listeners(StringRedisTemplate redis, @Value("${idempotent.key-prefix}") String prefix,
			@Value("${test.crash.block:false}") boolean blockOnCrash) {
		return new Listeners(redis, prefix, blockOnCrash);
	}

	@Bean
	Deliveries deliveries() {
		return new Deliveries();
	}

	// Boot's factory, configured as Boot configures it (a transacted session), recording each delivery.
	@Bean
	DefaultJmsListenerContainerFactory jmsListenerContainerFactory(
			DefaultJmsListenerContainerFactoryConfigurer configurer, ConnectionFactory connectionFactory,
			Deliveries deliveries) {
		DefaultJmsListenerContainerFactory factory = new RecordingContainerFactory(deliveries);
		configurer.configure(factory, connectionFactory);
		return factory;
	}

	// The crash listener's: started by the crash test only, at once in the JVM it kills.
	@Bean
	DefaultJmsListenerContainerFactory crashContainerFactory(DefaultJmsListenerContainerFactoryConfigurer configurer,
			ConnectionFactory connectionFactory, Deliveries deliveries,
			@Value("${test.crash.auto-startup:false}") boolean autoStartup) {
		DefaultJmsListenerContainerFactory factory = new RecordingContainerFactory(deliveries);
		configurer.configure(factory, connectionFactory);
		factory.setAutoStartup(autoStartup);
		return factory;
	}

	// The embedded broker also listens on TCP, for a consumer in another JVM.
	@Bean
	@ConditionalOnProperty("test.broker.port")
	ArtemisConfigurationCustomizer tcpAcceptor(@Value("${test.broker.port}") int port) {
		return (configuration) -> {
			try {
				configuration.addAcceptorConfiguration("tcp", "tcp://127.0.0.1:" + port);
			}
			catch (Exception ex) {
				throw new IllegalStateException("No TCP acceptor on port " + port, ex);
			}
		};
	}

	// Back from an outage, Redis answers the next delivery rather than after Lettuce's 30 s back-off.
	@Bean
	ClientResourcesBuilderCustomizer quickRedisReconnect() {
		return (resources) -> resources
			.reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(250), 2, TimeUnit.MILLISECONDS));
	}

	/** The listeners, counting how often each key ran. */
	public static class Listeners {

		private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

		private final StringRedisTemplate redis;

		private final String prefix;

		private final boolean blockOnCrash;

		Listeners(StringRedisTemplate redis, String prefix, boolean blockOnCrash) {
			this.redis = redis;
			this.prefix = prefix;
			this.blockOnCrash = blockOnCrash;
		}

		// Three consumers, so copies of one message are processed at the same time.
		@JmsListener(id = "once", destination = "once", concurrency = "3")
		@Idempotent(name = "once", key = "#key")
		public void once(String body, @Header(KEY_PROPERTY) String key) {
			count(key);
		}

		// The whole JMS message: its body is the fingerprint, so a copy matches although its delivery
		// (message id, redelivered flag) differs.
		@JmsListener(id = "whole", destination = "whole")
		@Idempotent(name = "whole", key = "#message.getStringProperty('" + KEY_PROPERTY + "')")
		public void whole(Message message) {
			try {
				count(message.getStringProperty(KEY_PROPERTY));
			}
			catch (JMSException ex) {
				throw new IllegalStateException(ex);
			}
		}

		// Counted in Redis, so the run of a JVM that is killed counts too: started, and finished.
		@JmsListener(id = "crash", destination = "crash", containerFactory = "crashContainerFactory")
		@Idempotent(name = "crash", key = "#key", lease = "2s")
		public void crash(String body, @Header(KEY_PROPERTY) String key) throws InterruptedException {
			this.redis.opsForValue().increment(this.prefix + "test-started:" + key);
			if (this.blockOnCrash) {
				new CountDownLatch(1).await();
			}
			this.redis.opsForValue().increment(this.prefix + "test-finished:" + key);
		}

		private void count(String key) {
			this.runs.computeIfAbsent(key, (any) -> new AtomicInteger()).incrementAndGet();
		}

		/** How often a listener ran for a key in this JVM. */
		public int runs(String key) {
			AtomicInteger runs = this.runs.get(key);
			return (runs != null) ? runs.get() : 0;
		}

		/** How often the crash listener started, and how often it finished, for a key, in any JVM. */
		public long[] crashRuns(String key) {
			return new long[] { redisCount("test-started:" + key), redisCount("test-finished:" + key) };
		}

		private long redisCount(String name) {
			String value = this.redis.opsForValue().get(this.prefix + name);
			return (value != null) ? Long.parseLong(value) : 0;
		}

	}

	/** Records each delivery and what the listener answered the container. */
	public static class Deliveries {

		private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

		void record(String queue, Message message, Instant at, @Nullable Throwable failure) throws JMSException {
			this.deliveries.add(new Delivery(queue, message.getStringProperty(KEY_PROPERTY),
					message.getJMSRedelivered(), at, Instant.now(), answer(failure)));
		}

		private static Answer answer(@Nullable Throwable failure) {
			if (failure == null) {
				return Answer.ACKNOWLEDGED;
			}
			for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
				if (cause instanceof RequestInProgressException) {
					return Answer.IN_PROGRESS;
				}
				if (cause instanceof IdempotencyStorageUnavailableException) {
					return Answer.STORE_UNAVAILABLE;
				}
			}
			return Answer.FAILED;
		}

		/** The deliveries of a key so far, in order. */
		public List<Delivery> of(String key) {
			return this.deliveries.stream().filter((delivery) -> key.equals(delivery.key())).toList();
		}

	}

	/**
	 * One delivery of a message to a listener.
	 *
	 * @param queue the queue it came from
	 * @param key its {@value #KEY_PROPERTY} property
	 * @param redelivered whether the broker flagged it as redelivered
	 * @param at when the listener got it
	 * @param answeredAt when the listener returned or threw
	 * @param answer what the listener answered
	 */
	public record Delivery(String queue, @Nullable String key, boolean redelivered, Instant at, Instant answeredAt,
			Answer answer) {
	}

	/** What a listener answered a delivery: returned, or threw so that the session rolled back. */
	public enum Answer {

		/** Returned: the session commits, the message is acknowledged. */
		ACKNOWLEDGED,

		/** Threw, a copy still running elsewhere: rolled back, to be redelivered. */
		IN_PROGRESS,

		/** Threw, the store failing: rolled back, to be redelivered. */
		STORE_UNAVAILABLE,

		/** Threw anything else. */
		FAILED

	}

	/** Boot's container, noting each delivery and whether the listener threw. */
	static final class RecordingContainerFactory extends DefaultJmsListenerContainerFactory {

		private final Deliveries deliveries;

		RecordingContainerFactory(Deliveries deliveries) {
			this.deliveries = deliveries;
		}

		@Override
		protected DefaultMessageListenerContainer createContainerInstance() {
			Deliveries deliveries = this.deliveries;
			return new DefaultMessageListenerContainer() {

				@Override
				protected void invokeListener(Session session, Message message) throws JMSException {
					Instant at = Instant.now();
					String queue = String.valueOf(getDestinationName());
					try {
						super.invokeListener(session, message);
					}
					catch (RuntimeException | JMSException ex) {
						deliveries.record(queue, message, at, ex);
						throw ex;
					}
					deliveries.record(queue, message, at, null);
				}

			};
		}

	}

}
