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

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.messaging.JmsListenerTestApp.Answer;
import dev.idempotent.spring.messaging.JmsListenerTestApp.Deliveries;
import dev.idempotent.spring.messaging.JmsListenerTestApp.Delivery;
import dev.idempotent.spring.messaging.JmsListenerTestApp.Listeners;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRedis;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jms.config.JmsListenerEndpointRegistry;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @Idempotent} {@code @JmsListener} methods on an ActiveMQ Artemis broker embedded in the test JVM
 * and a real Redis (behind a TCP proxy the storage test cuts), with Spring Boot's listener container and
 * its transacted session: copies of a message run once and are all acknowledged; with the store down the
 * session rolls back, so the message is redelivered, never lost, and runs once the store is back; a
 * consumer in another JVM killed inside the method leaves a message that is redelivered here and runs
 * once, after the dead claim's lease.
 */
@SpringBootTest(classes = JmsListenerTestApp.class,
		properties = { "spring.autoconfigure.exclude=", "spring.artemis.mode=embedded",
				"spring.jms.listener.session.transacted=true", "idempotent.store.timeout=500ms" })
class IdempotentJmsListenerTests {

	private static final String PREFIX = "jms-test-" + UUID.randomUUID() + ":";

	private static final int BROKER_PORT = freePort();

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("spring.data.redis.timeout", () -> "1s");
		registry.add("idempotent.key-prefix", () -> PREFIX);
		registry.add("test.broker.port", () -> BROKER_PORT);
	}

	@Autowired
	private JmsTemplate jms;

	@Autowired
	private EmbeddedActiveMQ broker;

	@Autowired
	private JmsListenerEndpointRegistry containers;

	@Autowired
	private Listeners listeners;

	@Autowired
	private Deliveries deliveries;

	@Autowired
	private IdempotenceService idempotence;

	@AfterAll
	static void closeProxy() {
		redisProxy.close();
	}

	@Test
	void messageSentThreeTimesRunsOnceAndEveryCopyIsAcknowledged() {
		String key = UUID.randomUUID().toString();
		for (int i = 0; i < 3; i++) {
			send("once", key, "parcel");
		}
		Poll.until("three deliveries answered", () -> this.deliveries.of(key).size() == 3);
		assertThat(this.deliveries.of(key)).extracting(Delivery::answer).containsOnly(Answer.ACKNOWLEDGED);
		assertThat(this.listeners.runs(key)).isEqualTo(1);
		assertThat(this.idempotence.find("once", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		Poll.until("nothing left in the queue", () -> messagesIn("once") == 0);
	}

	@Test
	void copiesOfAWholeJmsMessageMatchByBodyAndRunOnce() {
		String key = UUID.randomUUID().toString();
		send("whole", key, "parcel");
		send("whole", key, "parcel");
		Poll.until("two deliveries answered", () -> this.deliveries.of(key).size() == 2);
		assertThat(this.deliveries.of(key)).extracting(Delivery::answer)
			.as("the copy has another JMSMessageID, but the same body: skipped, not a reused key")
			.containsOnly(Answer.ACKNOWLEDGED);
		assertThat(this.listeners.runs(key)).isEqualTo(1);
	}

	@Test
	void storeDownRollsBackSoTheMessageIsRedeliveredAndRunsOnceItIsBack() {
		String key = UUID.randomUUID().toString();
		redisProxy.cut();
		try {
			send("once", key, "parcel");
			Poll.until("the message is rolled back twice", () -> answered(key, Answer.STORE_UNAVAILABLE).size() >= 2);
			assertThat(this.listeners.runs(key)).isZero();
		}
		finally {
			redisProxy.restore();
		}
		Poll.until("the message is acknowledged", () -> !answered(key, Answer.ACKNOWLEDGED).isEmpty());
		assertThat(this.listeners.runs(key)).isEqualTo(1);
		List<Delivery> deliveries = this.deliveries.of(key);
		assertThat(deliveries.get(0).redelivered()).isFalse();
		assertThat(deliveries.subList(1, deliveries.size())).as("every later delivery is the broker's redelivery")
			.allSatisfy((delivery) -> assertThat(delivery.redelivered()).isTrue());
		List<Delivery> failed = answered(key, Answer.STORE_UNAVAILABLE);
		// Each failed attempt paused for the store's Retry-After (1 s) before rolling back.
		assertThat(Duration.between(failed.get(0).at(), failed.get(1).at())).isGreaterThanOrEqualTo(
				Duration.ofSeconds(1));
		Poll.until("nothing left in the queue", () -> messagesIn("once") == 0);
	}

	@Test
	void redeliveryOfAMessageWhoseConsumerWasKilledRunsOnceAfterTheLease() throws Exception {
		String key = UUID.randomUUID().toString();
		send("crash", key, "parcel"); // Waits in the queue: only the other JVM consumes it at first.
		Process other = startOtherConsumer();
		try {
			Awaitility.await("the other JVM runs the message (see target/jms-crash-test-other-consumer.log)")
				.atMost(Duration.ofSeconds(120))
				.pollInterval(Duration.ofMillis(100))
				.until(() -> {
					assertThat(other.isAlive()).as("the other consumer runs").isTrue();
					return this.listeners.crashRuns(key)[0] == 1;
				});
			IdempotencyRecord claim = this.idempotence.find("crash", null, key).orElseThrow();
			assertThat(claim.state()).isEqualTo(RecordState.IN_PROGRESS);
			this.containers.getListenerContainer("crash").start();

			other.destroyForcibly();
			assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();

			Poll.until("the redelivery is answered here", () -> !this.deliveries.of(key).isEmpty());
			List<Delivery> deliveries = this.deliveries.of(key);
			assertThat(deliveries).singleElement()
				.as("it waited for the dead claim rather than rolling back")
				.satisfies((delivery) -> assertThat(delivery.answer()).isEqualTo(Answer.ACKNOWLEDGED));
			// The dead claim's expiry as last seen; it ends later if a renewal came in after that.
			Instant leaseEnd = claim.expiresAt();
			assertThat(deliveries.get(0).answeredAt()).as("ran once the dead consumer's lease had lapsed")
				.isAfterOrEqualTo(leaseEnd.minusMillis(100));
			assertThat(this.listeners.crashRuns(key)).as("started in both JVMs, finished once, here")
				.containsExactly(2, 1);
			assertThat(this.idempotence.find("crash", null, key))
				.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
			Poll.until("nothing left in the queue", () -> messagesIn("crash") == 0);
		}
		finally {
			other.destroyForcibly();
		}
	}

	private Process startOtherConsumer() throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		File log = Path.of("target", "jms-crash-test-other-consumer.log").toFile();
		List<String> command = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				JmsListenerTestApp.class.getName(), "--spring.main.web-application-type=none",
				"--spring.autoconfigure.exclude=",
				"--spring.artemis.mode=native", "--spring.artemis.embedded.enabled=false",
				"--spring.artemis.broker-url=tcp://127.0.0.1:" + BROKER_PORT,
				"--spring.jms.listener.session.transacted=true", "--spring.jms.listener.auto-startup=false",
				"--test.crash.auto-startup=true", "--test.crash.block=true",
				"--spring.data.redis.host=" + TestRedis.endpoint().host(),
				"--spring.data.redis.port=" + TestRedis.endpoint().port(), "--idempotent.key-prefix=" + PREFIX,
				"--idempotent.store.timeout=500ms");
		return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
	}

	private List<Delivery> answered(String key, Answer answer) {
		return this.deliveries.of(key).stream().filter((delivery) -> delivery.answer() == answer).toList();
	}

	private long messagesIn(String queue) {
		Queue found = this.broker.getActiveMQServer().locateQueue(SimpleString.of(queue));
		return (found != null) ? found.getMessageCount() : 0;
	}

	private void send(String queue, String key, String body) {
		this.jms.convertAndSend(queue, body, (message) -> {
			message.setStringProperty(JmsListenerTestApp.KEY_PROPERTY, key);
			return message;
		});
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
