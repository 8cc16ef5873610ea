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

import java.util.Map;

import ch.qos.logback.classic.Level;
import org.slf4j.LoggerFactory;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** A Kafka broker (KRaft) in the test JVM, one for each test class, whose topics have three partitions. */
final class KafkaBrokers {

	private KafkaBrokers() {
	}

	static EmbeddedKafkaKraftBroker start() {
		// The broker logs every partition it creates; the tests' context sets the same levels once it starts.
		for (String name : new String[] { "org.apache.kafka", "kafka", "state.change.logger" }) {
			((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(Level.WARN);
		}
		EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 3);
		// A consumer killed in the crash test leaves its group after a short session timeout; a group starts
		// consuming as soon as its first member joins.
		broker.brokerProperties(Map.of("group.min.session.timeout.ms", "1000", "group.initial.rebalance.delay.ms", "0"));
		broker.afterPropertiesSet();
		return broker;
	}

}
