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
package dev.idempotent.autoconfigure;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** Binding and checking of {@code idempotent.redis.*}; their effect is shown on Sentinel. */
class RedisDurabilityPropertiesTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataRedisAutoConfiguration.class,
					JacksonAutoConfiguration.class));

	@Test
	void defaultsDoNotWaitForReplicas() {
		this.runner.run((context) -> {
			IdempotencyProperties.Redis redis = context.getBean(IdempotencyProperties.class).getRedis();
			assertThat(redis.getMinReplicasAcked()).isZero();
			assertThat(redis.getReplicaAckTimeout()).hasSeconds(1);
		});
	}

	@Test
	void bindsAcknowledgementSettings() {
		this.runner.withPropertyValues("idempotent.redis.min-replicas-acked=2", "idempotent.redis.replica-ack-timeout=250ms")
			.run((context) -> {
				IdempotencyProperties.Redis redis = context.getBean(IdempotencyProperties.class).getRedis();
				assertThat(redis.getMinReplicasAcked()).isEqualTo(2);
				assertThat(redis.getReplicaAckTimeout()).hasMillis(250);
			});
	}

	@Test
	void invalidAcknowledgementSettingsFailAtStartUp() {
		this.runner.withPropertyValues("idempotent.redis.min-replicas-acked=-1")
			.run((context) -> assertThat(context).hasFailed());
		this.runner.withPropertyValues("idempotent.redis.replica-ack-timeout=0s")
			.run((context) -> assertThat(context).hasFailed());
	}

	@Test
	void acknowledgementsOnRedisClusterFailAtStartUpSayingWhy() {
		this.runner.withPropertyValues("idempotent.redis.min-replicas-acked=1",
				"spring.data.redis.cluster.nodes=127.0.0.1:1")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("not supported on Redis Cluster"));
	}

}
