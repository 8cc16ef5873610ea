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

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.messaging.kafka.KafkaListenerTestApp.Deliveries;
import dev.idempotent.spring.messaging.kafka.KafkaListenerTestApp.Delivery;
import dev.idempotent.spring.messaging.kafka.KafkaListenerTestApp.Listeners;
import dev.idempotent.spring.messaging.kafka.KafkaListenerTestApp.Runs;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@code @Idempotent} {@code @KafkaListener} methods on a real Kafka broker (KRaft, in this JVM) and a
 * real Redis (behind a TCP proxy the storage test cuts): copies of a record on three partitions, taken
 * by three consumers at once, run once and are all committed; the key is the {@code Idempotency-Key}
 * header or else the record key; a copy of a running record is consumed again, not dead-lettered; a key
 * reused for another value, or missing, goes to the dead-letter topic saying why; with the store down a
 * record is neither run nor committed until it is back; a record whose consumer (another JVM) was killed
 * in the middle of it runs once more, once, after the lease.
 */
@SpringBootTest(classes = KafkaListenerTestApp.class, properties = { "idempotent.store.timeout=500ms",
		"spring.kafka.consumer.auto-offset-reset=earliest", "logging.level.org.apache.kafka=warn",
		"logging.level.kafka=warn", "logging.level.state.change.logger=warn",
		IdempotentKafkaListenerTests.SESSION_TIMEOUT, IdempotentKafkaListenerTests.HEARTBEAT_INTERVAL })
class IdempotentKafkaListenerTests {

	private static final String TOPICS = "idempotent-test-" + UUID.randomUUID() + ".";

	private static final String KEY_PREFIX = "kafka-test-" + UUID.randomUUID() + ":";

	// Short, so the consumer killed in the crash test leaves its group soon.
	static final String SESSION_TIMEOUT = "spring.kafka.consumer.properties.session.timeout.ms=3000";

	static final String HEARTBEAT_INTERVAL = "spring.kafka.consumer.properties.heartbeat.interval.ms=500";

	private static final EmbeddedKafkaKraftBroker kafka = KafkaBrokers.start();

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		registry.add("spring.kafka.bootstrap-servers", kafka::getBrokersAsString);
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("spring.data.redis.timeout", () -> "1s");
		registry.add("idempotent.key-prefix", () -> KEY_PREFIX);
		registry.add("test.topic-prefix", () -> TOPICS);
		registry.add("test.runs.host", () -> TestRedis.endpoint().host());
		registry.add("test.runs.port", () -> TestRedis.endpoint().port());
	}

	@Autowired
	private KafkaTemplate<String, String> kafkaTemplate;

	@Autowired
	private KafkaListenerEndpointRegistry containers;

	@Autowired
	private Listeners listeners;

	@Autowired
	private Runs runs;

	@Autowired
	private Deliveries deliveries;

	@Autowired
	private KafkaGuideListeners guide;

	@Autowired
	private IdempotenceService idempotence;

	@AfterAll
	static void stopServers() {
		redisProxy.close();
		kafka.destroy();
	}

	@Test
	void threeCopiesOnThreePartitionsTakenByThreeConsumersRunOnceAndAreAllCommitted() throws Exception {
		awaitOnePartitionPerConsumer("once");
		String key = UUID.randomUUID().toString();
		List<Long> offsets = new ArrayList<>();
		for (int partition = 0; partition < 3; partition++) {
			offsets.add(send("once", partition, null, key, "parcel").offset());
		}
		for (int partition = 0; partition < 3; partition++) {
			awaitCommitted("once", partition, offsets.get(partition));
		}
		assertThat(this.runs.of(key)).isEqualTo(1);
		assertThat(this.deliveries.of(key)).as("each copy answered once, none refused")
			.extracting(Delivery::partition, Delivery::answer)
			.containsExactlyInAnyOrder(tuple(0, "processed"), tuple(1, "processed"), tuple(2, "processed"));
		assertThat(this.idempotence.find("once", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
	}

	@Test
	void recordKeyIsTheKeyOfARecordWithoutTheHeader() throws Exception {
		String key = UUID.randomUUID().toString();
		send("once", null, key, null, "parcel");
		RecordMetadata second = send("once", null, key, null, "parcel");
		awaitCommitted("once", second.partition(), second.offset());
		assertThat(this.runs.of(key)).isEqualTo(1);
		assertThat(this.deliveries.of(key)).extracting(Delivery::answer).containsExactly("processed", "processed");
	}

	@Test
	void copyOfARunningRecordIsConsumedAgainUntilItCompletesNeverDeadLettered() throws Exception {
		awaitOnePartitionPerConsumer("slow");
		String key = UUID.randomUUID().toString();
		this.listeners.closeSlowGate();
		long first;
		long copy;
		try {
			first = send("slow", 0, null, key, "parcel").offset();
			Poll.until("the first copy runs", () -> this.runs.of(key) == 1);
			copy = send("slow", 1, null, key, "parcel").offset();
			Poll.until("the copy is refused three times", () -> refused(key, "in-progress").size() >= 3);
			assertThat(committed("slow", 1)).as("the refused copy is not committed").isLessThanOrEqualTo(copy);
		}
		finally {
			this.listeners.openSlowGate();
		}
		awaitCommitted("slow", 0, first);
		awaitCommitted("slow", 1, copy);
		assertThat(this.runs.of(key)).isEqualTo(1);
		List<Delivery> refused = refused(key, "in-progress");
		assertThat(refused).allSatisfy((delivery) -> assertThat(delivery.partition()).isEqualTo(1));
		// Each attempt waited for the running copy (awaitCompletion = 300ms) before it was refused.
		assertThat(Duration.between(refused.get(0).at(), refused.get(2).at())).isGreaterThanOrEqualTo(
				Duration.ofMillis(600));
		assertThat(this.deliveries.of(key)).last().extracting(Delivery::answer).isEqualTo("processed");
		assertThat(deadLetters("slow", Duration.ofSeconds(1))).extracting(ConsumerRecord::value).doesNotContain("parcel");
	}

	@Test
	void keyReusedForAnotherValueOrMissingGoesToTheDeadLetterTopicSayingWhy() throws Exception {
		String key = UUID.randomUUID().toString();
		send("strict", 0, null, key, "parcel");
		long reused = send("strict", 0, null, key, "another parcel").offset();
		String missingValue = "no key " + key;
		long missing = send("strict", 0, null, null, missingValue).offset();
		awaitCommitted("strict", 0, missing);
		assertThat(this.runs.of(key + ":parcel")).isEqualTo(1);
		assertThat(this.runs.of(key + ":another parcel")).isZero();
		assertThat(this.runs.of("null:" + missingValue)).isZero();

		Map<String, ConsumerRecord<String, String>> dead = new java.util.HashMap<>();
		Poll.until("both refused records are dead-lettered", () -> {
			deadLetters("strict", Duration.ofMillis(500)).forEach((record) -> dead.put(record.value(), record));
			return dead.containsKey("another parcel") && dead.containsKey(missingValue);
		});
		ConsumerRecord<String, String> reusedRecord = dead.get("another parcel");
		assertThat(reusedRecord.partition()).isZero();
		assertThat(header(reusedRecord, RefusedRecordErrorHandler.REFUSED_HEADER)).isEqualTo("key-reused");
		assertThat(header(reusedRecord, "Idempotency-Key")).isEqualTo(key);
		assertThat(header(reusedRecord, "kafka_dlt-original-offset")).isNotNull();
		assertThat(header(dead.get(missingValue), RefusedRecordErrorHandler.REFUSED_HEADER)).isEqualTo("key-missing");
		assertThat(dead).doesNotContainKey("parcel");
		assertThat(committed("strict", 0)).isGreaterThan(reused);
	}

	@Test
	void storeDownNeitherRunsNorCommitsUntilItIsBack() throws Exception {
		String key = UUID.randomUUID().toString();
		long offset;
		redisProxy.cut();
		try {
			offset = send("once", 2, null, key, "parcel").offset();
			Poll.until("the record is refused twice", () -> refused(key, "store-unavailable").size() >= 2);
			assertThat(this.runs.of(key)).isZero();
			assertThat(committed("once", 2)).as("not committed").isLessThanOrEqualTo(offset);
		}
		finally {
			redisProxy.restore();
		}
		awaitCommitted("once", 2, offset);
		assertThat(this.runs.of(key)).isEqualTo(1);
		assertThat(this.deliveries.of(key)).last().extracting(Delivery::answer).isEqualTo("processed");
		List<Delivery> refused = refused(key, "store-unavailable");
		// Each refusal waited for the store's Retry-After (1 s) before the record was consumed again.
		assertThat(Duration.between(refused.get(0).at(), refused.get(1).at())).isGreaterThanOrEqualTo(
				Duration.ofSeconds(1));
		assertThat(deadLetters("once", Duration.ofSeconds(1))).isEmpty();
	}

	@Test
	void guideListenersTakeTheKeyFromTheirHeaderElseTheRecordKey() throws Exception {
		String shipment = "shipment " + UUID.randomUUID();
		String payment = "payment " + UUID.randomUUID();
		String paymentByRecordKey = "payment " + UUID.randomUUID();
		List<RecordMetadata> sent = new ArrayList<>();
		for (int copy = 0; copy < 2; copy++) {
			sent.add(sendAs("shipments", null, "Idempotency-Key", shipment, shipment));
			sent.add(sendAs("payments", null, "payment-id", payment, payment));
			sent.add(sendAs("payments", paymentByRecordKey, null, null, paymentByRecordKey));
		}
		for (RecordMetadata metadata : sent) {
			Poll.until(metadata + " committed", () -> committed(metadata.topic(), metadata.partition(),
					metadata.topic().equals("shipments") ? "shipping" : "payments") > metadata.offset());
		}
		assertThat(this.guide.shipping().shipped(shipment)).isEqualTo(1);
		assertThat(this.guide.payments().paid(payment)).isEqualTo(1);
		assertThat(this.guide.payments().paid(paymentByRecordKey)).isEqualTo(1);
	}

	@Test
	void recordWhoseConsumerWasKilledMidRecordRunsOnceMoreAfterTheLease() throws Exception {
		String key = UUID.randomUUID().toString();
		Process other = startOtherConsumer();
		try {
			RecordMetadata sent = send("crash", 0, null, key, "parcel");
			Awaitility.await("the other JVM runs the record (see target/kafka-crash-test-other-consumer.log)")
				.atMost(Duration.ofMinutes(2))
				.pollInterval(Duration.ofMillis(50))
				.failFast("the other JVM died", () -> !other.isAlive())
				.until(() -> this.runs.of(key) == 1);
			IdempotencyRecord claim = this.idempotence.find("crash", null, key).orElseThrow();
			assertThat(claim.state()).isEqualTo(RecordState.IN_PROGRESS);
			other.destroyForcibly();
			assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();
			assertThat(committed("crash", 0)).as("the killed consumer committed nothing").isLessThanOrEqualTo(
					sent.offset());

			this.containers.getListenerContainer("crash").start();
			awaitCommitted("crash", 0, sent.offset());
			assertThat(this.runs.of(key)).as("the killed run and the redelivery, nothing more").isEqualTo(2);
			assertThat(this.deliveries.of(key)).extracting(Delivery::answer).last().isEqualTo("processed");
			Instant started = this.listeners.started(key);
			// The dead claim's expiry as last seen; it ends later if a renewal came in after that.
			assertThat(started).as("runs once the dead consumer's lease has lapsed")
				.isAfterOrEqualTo(claim.expiresAt().minusMillis(100));
			assertThat(this.idempotence.find("crash", null, key))
				.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		}
		finally {
			other.destroyForcibly();
		}
	}

	// Another JVM consuming the crash topic only (the other listeners do not start), on the same Redis, and
	// blocking in the listener.
	private Process startOtherConsumer() throws Exception {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		File log = Path.of("target", "kafka-crash-test-other-consumer.log").toFile();
		List<String> command = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				KafkaListenerTestApp.class.getName(), "--spring.main.web-application-type=none",
				"--spring.kafka.bootstrap-servers=" + kafka.getBrokersAsString(),
				"--spring.kafka.consumer.auto-offset-reset=earliest", "--" + SESSION_TIMEOUT, "--" + HEARTBEAT_INTERVAL,
				"--spring.data.redis.host=" + TestRedis.endpoint().host(),
				"--spring.data.redis.port=" + TestRedis.endpoint().port(), "--idempotent.key-prefix=" + KEY_PREFIX,
				"--idempotent.store.timeout=500ms", "--test.topic-prefix=" + TOPICS,
				"--test.runs.host=" + TestRedis.endpoint().host(), "--test.runs.port=" + TestRedis.endpoint().port(),
				"--test.crash.auto-startup=true", "--test.crash.block=true", "--spring.kafka.listener.auto-startup=false",
				"--logging.level.org.apache.kafka=warn");
		return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
	}

	private List<Delivery> refused(String key, String reason) {
		return this.deliveries.of(key).stream().filter((delivery) -> delivery.answer().equals(reason)).toList();
	}

	private RecordMetadata send(String topic, @Nullable Integer partition, @Nullable String recordKey,
			@Nullable String idempotencyKey, String value) throws Exception {
		ProducerRecord<String, String> record = new ProducerRecord<>(TOPICS + topic, partition, recordKey, value);
		if (idempotencyKey != null) {
			record.headers().add("Idempotency-Key", idempotencyKey.getBytes(StandardCharsets.UTF_8));
		}
		return this.kafkaTemplate.send(record).get().getRecordMetadata();
	}

	private RecordMetadata sendAs(String topic, @Nullable String recordKey, @Nullable String header,
			@Nullable String key, String value) throws Exception {
		ProducerRecord<String, String> record = new ProducerRecord<>(topic, recordKey, value);
		if (header != null && key != null) {
			record.headers().add(header, key.getBytes(StandardCharsets.UTF_8));
		}
		return this.kafkaTemplate.send(record).get().getRecordMetadata();
	}

	private void awaitOnePartitionPerConsumer(String id) throws InterruptedException {
		ConcurrentMessageListenerContainer<?, ?> container = (ConcurrentMessageListenerContainer<?, ?>) this.containers
			.getListenerContainer(id);
		Poll.until("each of the three consumers of " + id + " has a partition",
				() -> container.getAssignmentsByClientId() != null && container.getAssignmentsByClientId().size() == 3
						&& container.getAssignmentsByClientId().values().stream().allMatch((tps) -> tps.size() == 1));
	}

	/** Waits until the group of a topic's listener committed past an offset of a partition. */
	private void awaitCommitted(String topic, int partition, long offset) throws InterruptedException {
		Poll.until(topic + "-" + partition + " committed past " + offset, () -> committed(topic, partition) > offset);
	}

	private long committed(String topic, int partition) {
		return committed(TOPICS + topic, partition, TOPICS + topic);
	}

	private long committed(String topic, int partition, String group) {
		TopicPartition tp = new TopicPartition(topic, partition);
		Map<TopicPartition, OffsetAndMetadata> offsets = kafka.doWithAdminFunction((admin) -> {
			try {
				return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		});
		OffsetAndMetadata committed = offsets.get(tp);
		return (committed != null) ? committed.offset() : -1;
	}

	private List<ConsumerRecord<String, String>> deadLetters(String topic, Duration wait) {
		try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
				ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString(),
				ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
				ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
			List<TopicPartition> partitions = List.of(0, 1, 2)
				.stream()
				.map((partition) -> new TopicPartition(TOPICS + topic + "-dlt", partition))
				.toList();
			consumer.assign(partitions);
			consumer.seekToBeginning(partitions);
			List<ConsumerRecord<String, String>> records = new ArrayList<>();
			consumer.poll(wait).forEach(records::add);
			return records;
		}
	}

	private static @Nullable String header(ConsumerRecord<?, ?> record, String name) {
		org.apache.kafka.common.header.Header header = record.headers().lastHeader(name);
		return (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : null;
	}

}
