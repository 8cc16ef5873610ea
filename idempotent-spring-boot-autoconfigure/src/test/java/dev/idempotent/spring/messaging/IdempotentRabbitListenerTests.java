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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Answer;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Deliveries;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Delivery;
import dev.idempotent.spring.messaging.RabbitListenerTestApp.Listeners;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TcpProxy;
import dev.idempotent.test.servers.TestRabbit;
import dev.idempotent.test.servers.TestRedis;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @Idempotent} {@code @RabbitListener} methods on a real RabbitMQ and a real Redis (behind a TCP
 * proxy the storage test cuts): copies of a message run once and are all acknowledged; a failure lets
 * the redelivery run; a copy of a message still running waits, then is requeued without spinning; a key
 * reused for another payload, or missing, is dead-lettered; with the store down nothing is acknowledged
 * or run until it is back.
 */
@SpringBootTest(classes = RabbitListenerTestApp.class, properties = { "spring.rabbitmq.listener.simple.prefetch=1",
		"idempotent.store.timeout=500ms" })
class IdempotentRabbitListenerTests {

	private static final String QUEUES = "idempotent-test-" + UUID.randomUUID() + ".";

	private static final TcpProxy redisProxy = new TcpProxy(TestRedis.endpoint().host(), TestRedis.endpoint().port());

	@DynamicPropertySource
	static void servers(DynamicPropertyRegistry registry) {
		TestRabbit.register(registry);
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redisProxy::port);
		registry.add("spring.data.redis.timeout", () -> "1s");
		registry.add("idempotent.key-prefix", () -> "rabbit-test-" + UUID.randomUUID() + ":");
		registry.add("test.queue-prefix", () -> QUEUES);
	}

	@Autowired
	private RabbitTemplate rabbit;

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
	void messagePublishedThreeTimesRunsOnceAndEveryCopyIsAcknowledged() throws InterruptedException {
		String id = UUID.randomUUID().toString();
		for (int i = 0; i < 3; i++) {
			publish("once", id, "parcel");
		}
		Poll.until("three deliveries answered", () -> this.deliveries.of(id).size() == 3);
		assertThat(this.deliveries.of(id)).extracting(Delivery::answer).containsOnly(Answer.ACKNOWLEDGED);
		assertThat(this.listeners.runs(id)).isEqualTo(1);
		assertThat(this.idempotence.find("once", null, id))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		assertThat(this.rabbit.receive(QUEUES + "once")).as("nothing left in the queue").isNull();
	}

	@Test
	void failureReleasesTheKeySoTheRedeliveryRuns() throws InterruptedException {
		String id = UUID.randomUUID().toString();
		publish("flaky", id, "parcel");
		Poll.until("the redelivery is acknowledged",
				() -> this.deliveries.of(id).stream().anyMatch((d) -> d.answer() == Answer.ACKNOWLEDGED));
		List<Delivery> deliveries = this.deliveries.of(id);
		assertThat(deliveries).extracting(Delivery::answer).containsExactly(Answer.FAILED, Answer.ACKNOWLEDGED);
		assertThat(deliveries.get(1).redelivered()).isTrue();
		assertThat(this.listeners.runs(id)).as("the failed run and the redelivery").isEqualTo(2);
		publish("flaky", id, "parcel");
		Poll.until("a later copy is answered", () -> this.deliveries.of(id).size() == 3);
		assertThat(this.deliveries.of(id).get(2).answer()).isEqualTo(Answer.ACKNOWLEDGED);
		assertThat(this.listeners.runs(id)).as("the completed message is not run again").isEqualTo(2);
	}

	@Test
	void copyOfARunningMessageWaitsThenIsRequeuedWithoutSpinning() throws InterruptedException {
		String id = UUID.randomUUID().toString();
		this.listeners.closeSlowGate();
		try {
			publish("slow", id, "parcel");
			Poll.until("the first copy runs", () -> this.listeners.runs(id) == 1);
			publish("slow", id, "parcel");
			Poll.until("the second copy is requeued three times", () -> requeued(id).size() >= 3);
		}
		finally {
			this.listeners.openSlowGate();
		}
		Poll.until("both copies are acknowledged", () -> this.deliveries.of(id)
			.stream()
			.filter((delivery) -> delivery.answer() == Answer.ACKNOWLEDGED)
			.count() == 2);
		assertThat(this.listeners.runs(id)).isEqualTo(1);
		List<Delivery> requeued = requeued(id);
		assertThat(requeued).allSatisfy((delivery) -> assertThat(delivery.redelivered())
			.as("only the first delivery of the copy is not a redelivery")
			.isEqualTo(delivery != requeued.get(0)));
		// Each delivery of the copy waited for the running one (awaitCompletion = 300ms) before it was requeued.
		assertThat(Duration.between(requeued.get(0).at(), requeued.get(2).at())).isGreaterThanOrEqualTo(
				Duration.ofMillis(600));
	}

	@Test
	void keyReusedForAnotherPayloadOrMissingIsDeadLetteredNotRun() throws InterruptedException {
		String id = UUID.randomUUID().toString();
		publish("strict", id, "parcel");
		Poll.until("the first message runs", () -> this.listeners.runs(id + ":parcel") == 1);
		publish("strict", id, "another parcel");
		Message reused = this.rabbit.receive(QUEUES + "dead", 30_000);
		assertThat(reused).isNotNull();
		assertThat(reused.getMessageProperties().getMessageId()).isEqualTo(id);
		assertThat(new String(reused.getBody(), StandardCharsets.UTF_8)).isEqualTo("another parcel");
		assertThat(this.listeners.runs(id + ":another parcel")).isZero();
		assertThat(this.deliveries.of(id)).extracting(Delivery::answer)
			.containsExactly(Answer.ACKNOWLEDGED, Answer.REJECTED);

		publish("strict", null, "no id");
		Message missing = this.rabbit.receive(QUEUES + "dead", 30_000);
		assertThat(missing).isNotNull();
		assertThat(new String(missing.getBody(), StandardCharsets.UTF_8)).isEqualTo("no id");
		assertThat(this.listeners.runs("null:no id")).isZero();
	}

	@Test
	void storeDownNeitherAcknowledgesNorRunsUntilItIsBack() throws InterruptedException {
		String id = UUID.randomUUID().toString();
		redisProxy.cut();
		try {
			publish("once", id, "parcel");
			Poll.until("the message is requeued twice", () -> requeued(id).size() >= 2);
			assertThat(this.listeners.runs(id)).isZero();
		}
		finally {
			redisProxy.restore();
		}
		Poll.until("the message is acknowledged", () -> this.deliveries.of(id)
			.stream()
			.anyMatch((delivery) -> delivery.answer() == Answer.ACKNOWLEDGED));
		assertThat(this.listeners.runs(id)).isEqualTo(1);
		List<Delivery> requeued = requeued(id);
		// Each failed attempt paused for the store's Retry-After (1 s) before requeueing.
		assertThat(Duration.between(requeued.get(0).at(), requeued.get(1).at())).isGreaterThanOrEqualTo(
				Duration.ofSeconds(1));
	}

	private List<Delivery> requeued(String id) {
		return this.deliveries.of(id).stream().filter((delivery) -> delivery.answer() == Answer.REQUEUED).toList();
	}

	private void publish(String queue, @Nullable String id, String body) {
		this.rabbit.send(QUEUES + queue, TestRabbit.message(id, MessageProperties.CONTENT_TYPE_TEXT_PLAIN, body));
	}

}
