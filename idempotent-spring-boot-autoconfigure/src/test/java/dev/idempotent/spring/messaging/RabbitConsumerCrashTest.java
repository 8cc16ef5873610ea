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
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Answer;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Deliveries;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Delivery;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Listeners;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TestRabbit;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.AmqpAdmin;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.QueueInformation;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A consumer killed in the middle of a message: another JVM consumes the queue, claims the message
 * (lease 2 s) and is killed while its listener runs. The broker redelivers the message here; this
 * consumer waits until the dead claim lapses, then runs the message exactly once and acknowledges it.
 */
@SpringBootTest(classes = RabbitListenerTestApp.class, properties = { "spring.rabbitmq.listener.simple.prefetch=1",
		"idempotent.store.timeout=500ms" })
class RabbitConsumerCrashTest {

	private static final String QUEUES = "idempotent-crash-test-" + UUID.randomUUID() + ".";

	private static final String PREFIX = "rabbit-crash-test-" + UUID.randomUUID() + ":";

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		TestRabbit.register(registry);
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> PREFIX);
		registry.add("test.queue-prefix", () -> QUEUES);
	}

	@Autowired
	private RabbitTemplate rabbit;

	@Autowired
	private AmqpAdmin admin;

	@Autowired
	private RabbitListenerEndpointRegistry containers;

	@Autowired
	private Listeners listeners;

	@Autowired
	private Deliveries deliveries;

	@Autowired
	private IdempotenceService idempotence;

	@Test
	void redeliveryOfAMessageWhoseConsumerWasKilledRunsOnceAfterTheLease() throws Exception {
		String queue = QUEUES + "crash";
		Process other = startOtherConsumer();
		try {
			awaitConsumers(queue, 1, other);
			String id = UUID.randomUUID().toString();
			this.rabbit.send(queue, TestRabbit.message(id, MessageProperties.CONTENT_TYPE_TEXT_PLAIN, "parcel"));
			Poll.until("the other consumer claims the message", () -> this.idempotence.find("crash", null, id)
				.isPresent());

			this.containers.getListenerContainer("crash").start();
			awaitConsumers(queue, 2, other);
			IdempotencyRecord claim = this.idempotence.find("crash", null, id).orElseThrow();
			assertThat(claim.state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(this.listeners.runs(id)).as("the message runs in the other JVM").isZero();
			other.destroyForcibly();
			assertThat(other.waitFor(30, TimeUnit.SECONDS)).isTrue();

			Poll.until("the redelivery is answered", () -> !this.deliveries.of(id).isEmpty());
			List<Delivery> deliveries = this.deliveries.of(id);
			assertThat(deliveries).hasSize(1);
			assertThat(deliveries.get(0).redelivered()).isTrue();
			assertThat(deliveries.get(0).answer()).as("it waited for the dead claim rather than being requeued")
				.isEqualTo(Answer.ACKNOWLEDGED);
			assertThat(this.listeners.runs(id)).isEqualTo(1);
			Instant started = this.listeners.crashRunStarted(id);
			// The dead claim's expiry as last seen; it ends later if a renewal came in after that.
			Instant leaseEnd = claim.expiresAt();
			assertThat(started).as("runs once the dead consumer's lease has lapsed").isAfterOrEqualTo(
					leaseEnd.minusMillis(100));
			assertThat(this.idempotence.find("crash", null, id))
				.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		}
		finally {
			other.destroyForcibly();
		}
	}

	private Process startOtherConsumer() throws Exception {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		File log = Path.of("target", "rabbit-crash-test-other-consumer.log").toFile();
		List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				RabbitListenerTestApp.class.getName(), "--spring.main.web-application-type=none",
				"--spring.data.redis.host=" + TestRedis.endpoint().host(),
				"--spring.data.redis.port=" + TestRedis.endpoint().port(), "--idempotent.key-prefix=" + PREFIX,
				"--test.queue-prefix=" + QUEUES, "--test.crash.auto-startup=true", "--test.crash.block=true",
				"--spring.rabbitmq.listener.simple.prefetch=1", "--idempotent.store.timeout=500ms"));
		command.addAll(TestRabbit.arguments());
		return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
	}

	private void awaitConsumers(String queue, int consumers, Process other) {
		// The other JVM is still starting (see target/rabbit-crash-test-other-consumer.log).
		Poll.untilStarted(consumers + " consumers on " + queue, Duration.ofSeconds(180), other::isAlive, () -> {
			QueueInformation information = this.admin.getQueueInfo(queue);
			return information != null && information.getConsumerCount() >= consumers;
		});
	}

}
