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

import java.nio.charset.StandardCharsets;
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
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.listener.RecordInterceptor;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;

/**
 * A Kafka consumer with {@link Idempotent} listeners on topics named by {@code test.topic-prefix}, each
 * with three partitions and a dead-letter topic beside it, on a Redis store. Runs inside the tests and,
 * for the crash test, as a separate JVM ({@link #main}). Every delivery is recorded with what the
 * listener answered ({@link Deliveries}).
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class KafkaListenerTestApp {

	/** The topics, each with {@code <topic>-dlt} beside it. */
	static final List<String> TOPICS = List.of("once", "strict", "slow", "crash");

	/** The guide's topics, named as the guide names them. */
	static final List<String> GUIDE_TOPICS = List.of("shipments", "payments");

	public static void main(String[] args) {
		SpringApplication.run(KafkaListenerTestApp.class, args);
	}

	@Bean
	Listeners listeners(@Value("${test.crash.block:false}") boolean blockOnCrash, Runs runs) {
		return new Listeners(blockOnCrash, runs);
	}

	@Bean
	KafkaGuideListeners guideListeners() {
		return new KafkaGuideListeners();
	}

	@Bean
	Deliveries deliveries() {
		return new Deliveries();
	}

	// Counted in Redis, straight and not through the store's connection, so runs in another JVM (the one
	// the crash test kills) count too.
	@Bean
	Runs runs(@Value("${test.runs.host}") String host, @Value("${test.runs.port}") int port,
			@Value("${test.topic-prefix}") String prefix) {
		LettuceConnectionFactory connections = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(host, port));
		connections.afterPropertiesSet();
		return new Runs(new StringRedisTemplate(connections), prefix, connections);
	}

	@Bean
	KafkaAdminTopics topics(@Value("${test.topic-prefix}") String prefix) {
		return new KafkaAdminTopics(java.util.stream.Stream
			.concat(TOPICS.stream().map((topic) -> prefix + topic), GUIDE_TOPICS.stream())
			.flatMap((topic) -> java.util.stream.Stream.of(topic, topic + "-dlt"))
			.map((name) -> TopicBuilder.name(name).partitions(3).replicas(1).build())
			.toArray(NewTopic[]::new));
	}

	// Back from an outage, Redis answers the next attempt rather than after Lettuce's 30 s back-off.
	@Bean
	ClientResourcesBuilderCustomizer quickRedisReconnect() {
		return (resources) -> resources
			.reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofMillis(250), 2, TimeUnit.MILLISECONDS));
	}

	/** The topics the application's {@code KafkaAdmin} creates. */
	static class KafkaAdminTopics extends org.springframework.kafka.core.KafkaAdmin.NewTopics {

		KafkaAdminTopics(NewTopic... topics) {
			super(topics);
		}

	}

	/** The listeners. */
	public static class Listeners {

		private final Map<String, Instant> started = new ConcurrentHashMap<>();

		private final boolean blockOnCrash;

		private final Runs runs;

		private volatile CountDownLatch slowGate = new CountDownLatch(0);

		Listeners(boolean blockOnCrash, Runs runs) {
			this.blockOnCrash = blockOnCrash;
			this.runs = runs;
		}

		// Three consumers, one a partition, so copies on different partitions run at the same time. The key
		// is the Idempotency-Key header, else the record key.
		@KafkaListener(id = "once", topics = "${test.topic-prefix}once", groupId = "${test.topic-prefix}once",
				concurrency = "3")
		@Idempotent(name = "once")
		public void once(ConsumerRecord<String, String> record) throws InterruptedException {
			this.runs.count(key(record));
			Thread.sleep(200); // Long enough for the copies to find it running.
		}

		// The key read from @Header parameters.
		@KafkaListener(id = "strict", topics = "${test.topic-prefix}strict", groupId = "${test.topic-prefix}strict")
		@Idempotent(name = "strict")
		public void strict(String value, @Header(name = "Idempotency-Key", required = false) @Nullable String key,
				@Header(name = KafkaHeaders.RECEIVED_KEY, required = false) @Nullable String recordKey) {
			this.runs.count(key + ":" + value);
		}

		@KafkaListener(id = "slow", topics = "${test.topic-prefix}slow", groupId = "${test.topic-prefix}slow",
				concurrency = "3")
		@Idempotent(name = "slow", awaitCompletion = "300ms")
		public void slow(ConsumerRecord<String, String> record) throws InterruptedException {
			this.runs.count(key(record));
			if (!this.slowGate.await(30, TimeUnit.SECONDS)) {
				throw new IllegalStateException("the test never opened the gate");
			}
		}

		// Started by the crash test only; the other JVM blocks in it until it is killed.
		@KafkaListener(id = "crash", topics = "${test.topic-prefix}crash", groupId = "${test.topic-prefix}crash",
				autoStartup = "${test.crash.auto-startup:false}")
		@Idempotent(name = "crash", lease = "3s")
		public void crash(ConsumerRecord<String, String> record) throws InterruptedException {
			String key = key(record);
			this.started.putIfAbsent(key, Instant.now());
			this.runs.count(key);
			if (this.blockOnCrash) {
				new CountDownLatch(1).await();
			}
		}

		/** When a listener started running a record here, if it did. */
		public @Nullable Instant started(String key) {
			return this.started.get(key);
		}

		/** Holds the slow listener in its method until {@link #openSlowGate()}. */
		public void closeSlowGate() {
			this.slowGate = new CountDownLatch(1);
		}

		public void openSlowGate() {
			this.slowGate.countDown();
		}

	}

	/** How often the listeners ran for a key (the strict listener: {@code key:value}), in Redis. */
	public static class Runs implements AutoCloseable {

		private final StringRedisTemplate redis;

		private final String prefix;

		private final LettuceConnectionFactory connections;

		Runs(StringRedisTemplate redis, String prefix, LettuceConnectionFactory connections) {
			this.redis = redis;
			this.prefix = "runs:" + prefix;
			this.connections = connections;
		}

		void count(String key) {
			this.redis.opsForValue().increment(this.prefix + key);
		}

		public int of(String key) {
			String runs = this.redis.opsForValue().get(this.prefix + key);
			return (runs != null) ? Integer.parseInt(runs) : 0;
		}

		@Override
		public void close() {
			this.connections.destroy();
		}

	}

	/** Records each delivery of a record to a listener and what the listener answered the container. */
	public static class Deliveries implements RecordInterceptor<Object, Object> {

		private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

		private final Map<Thread, Instant> at = new ConcurrentHashMap<>();

		@Override
		public ConsumerRecord<Object, Object> intercept(ConsumerRecord<Object, Object> record,
				Consumer<Object, Object> consumer) {
			this.at.put(Thread.currentThread(), Instant.now());
			return record;
		}

		@Override
		public void success(ConsumerRecord<Object, Object> record, Consumer<Object, Object> consumer) {
			record(record, null);
		}

		@Override
		public void failure(ConsumerRecord<Object, Object> record, Exception exception,
				Consumer<Object, Object> consumer) {
			record(record, exception);
		}

		private void record(ConsumerRecord<Object, Object> record, @Nullable Exception exception) {
			RecordRefusedException refused = null;
			for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
				if (cause instanceof RecordRefusedException found) {
					refused = found;
				}
			}
			this.deliveries.add(new Delivery(record.topic(), record.partition(), record.offset(), key(record),
					this.at.getOrDefault(Thread.currentThread(), Instant.now()), (exception == null) ? "processed"
							: (refused != null) ? refused.getRefusal().reason() : "failed"));
		}

		/** The deliveries of records with a key so far, in order. */
		public List<Delivery> of(String key) {
			return this.deliveries.stream().filter((delivery) -> key.equals(delivery.key())).toList();
		}

	}

	/** A record's Idempotency-Key header, else its record key. */
	static String key(ConsumerRecord<?, ?> record) {
		org.apache.kafka.common.header.Header header = record.headers().lastHeader("Idempotency-Key");
		return (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : String.valueOf(record.key());
	}

	/**
	 * One delivery of a record to a listener.
	 *
	 * @param topic its topic
	 * @param partition its partition
	 * @param offset its offset
	 * @param key its Idempotency-Key header, else its record key
	 * @param at when the listener got it
	 * @param answer {@code processed} (returned, the offset is committed), a refusal's reason
	 * ({@code in-progress}, {@code store-unavailable}, {@code key-reused}...), or {@code failed}
	 */
	public record Delivery(String topic, int partition, long offset, String key, Instant at, String answer) {
	}

}
