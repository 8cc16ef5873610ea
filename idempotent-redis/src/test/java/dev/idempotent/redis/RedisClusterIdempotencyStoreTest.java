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
package dev.idempotent.redis;

import java.util.HashSet;
import java.util.Set;

import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisClusterNode;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis store keeps the store contract on a three-master Redis Cluster that the test starts on
 * loopback. Every script touches one key, so records land on every master and no script crosses
 * slots.
 */
class RedisClusterIdempotencyStoreTest extends RedisStoreContractTest {

	private static RedisProcesses.Cluster cluster;

	private static LettuceConnectionFactory connectionFactory;

	@BeforeAll
	static void startCluster() {
		cluster = new RedisProcesses.Cluster();
		connectionFactory = TestRedis.connect(new RedisClusterConfiguration(cluster.nodes()));
	}

	@AfterAll
	static void stopCluster() {
		if (connectionFactory != null) {
			connectionFactory.destroy();
		}
		if (cluster != null) {
			cluster.close();
		}
	}

	@Override
	protected RedisConnectionFactory connectionFactory() {
		return connectionFactory;
	}

	@Test
	void recordsLandOnEveryMaster() {
		Set<String> masters = new HashSet<>();
		for (int i = 0; i < 30; i++) {
			String key = key("spread-" + i);
			assertThat(store().tryClaim(key, "owner", null, LONG_LEASE).isAcquired()).isTrue();
			String outcome = "outcome-" + i;
			assertThat(store().complete(key, "owner", outcome, RETENTION)).isTrue();
			assertThat(store().find(key)).hasValueSatisfying((r) -> assertThat(r.outcome()).isEqualTo(outcome));
			RedisClusterNode node = connectionFactory.getClusterConnection().clusterGetNodeForKey(key.getBytes());
			masters.add(node.getHost() + ":" + node.getPort());
		}
		assertThat(masters).containsExactlyInAnyOrderElementsOf(cluster.nodes());
	}

}
