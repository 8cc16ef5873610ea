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

import dev.idempotent.autoconfigure.actuate.IdempotencyHealthAutoConfiguration;
import dev.idempotent.autoconfigure.actuate.IdempotencyHealthIndicator;
import dev.idempotent.test.servers.RedisProcesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis store on real Redis servers with different memory policies: one that may evict records
 * fails start-up unless the application accepts it, and the {@code idempotency} health shows the
 * policy, the evicted keys and, when Redis refuses the service, Redis's own error.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisEvictionAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class,
				IdempotencyHealthAutoConfiguration.class, DataRedisAutoConfiguration.class,
				JacksonAutoConfiguration.class));

	@Test
	void aRedisThatMayEvictRecordsFailsStartUpSayingWhatToDo() {
		try (RedisProcesses.Standalone redis = new RedisProcesses.Standalone("--maxmemory", "64mb",
				"--maxmemory-policy", "volatile-lru")) {
			this.runner.withPropertyValues("spring.data.redis.port=" + redis.port())
				.run((context) -> assertThat(context).hasFailed()
					.getFailure()
					.rootCause()
					.hasMessageContaining("maxmemory-policy is volatile-lru")
					.hasMessageContaining("noeviction")
					.hasMessageContaining("idempotent.redis.accept-eviction=true"));
		}
	}

	@Test
	void acceptedEvictionStartsWithOneWarningAndShowsInHealth(CapturedOutput output) {
		try (RedisProcesses.Standalone redis = new RedisProcesses.Standalone("--maxmemory", "64mb",
				"--maxmemory-policy", "allkeys-lru")) {
			this.runner
				.withPropertyValues("spring.data.redis.port=" + redis.port(), "idempotent.redis.accept-eviction=true")
				.run((context) -> {
					assertThat(context).hasNotFailed();
					assertThat(output).containsOnlyOnce("maxmemory-policy is allkeys-lru and idempotent.redis.accept-eviction=true");
					Health health = context.getBean(IdempotencyHealthIndicator.class).health();
					assertThat(health.getStatus()).isEqualTo(Status.UP);
					assertThat(health.getDetails()).containsEntry("maxmemoryPolicy", "allkeys-lru")
						.containsEntry("maxmemoryBytes", 64L * 1024 * 1024)
						.containsEntry("evictedKeys", 0L)
						.containsEntry("evictionAccepted", true);
				});
		}
	}

	@Test
	void aNoevictionRedisIsUp() {
		try (RedisProcesses.Standalone redis = new RedisProcesses.Standalone()) {
			this.runner.withPropertyValues("spring.data.redis.port=" + redis.port()).run((context) -> {
				Health health = context.getBean(IdempotencyHealthIndicator.class).health();
				assertThat(health.getStatus()).isEqualTo(Status.UP);
				assertThat(health.getDetails()).containsEntry("store", "RedisIdempotencyStore")
					.containsEntry("maxmemoryPolicy", "noeviction")
					.doesNotContainKey("error");
			});
		}
	}

	@Test
	void aRedisThatRefusesTheServiceIsDownWithItsOwnError(CapturedOutput output) {
		try (RedisProcesses.Standalone redis = new RedisProcesses.Standalone("--requirepass", "the-right-one")) {
			this.runner.withPropertyValues("spring.data.redis.port=" + redis.port(),
					"spring.data.redis.password=a-wrong-one")
				.run((context) -> {
					assertThat(context).as("a Redis that does not answer yet is no reason to fail start-up")
						.hasNotFailed();
					assertThat(output).contains("Could not read Redis's maxmemory-policy at start-up");
					Health health = context.getBean(IdempotencyHealthIndicator.class).health();
					assertThat(health.getStatus()).isEqualTo(Status.DOWN);
					assertThat(health.getDetails().get("error")).asString().contains("WRONGPASS");
				});
		}
	}

}
