package dev.idempotent.spring.redis;

import java.util.HashSet;
import java.util.Set;

import dev.idempotent.core.IdempotencyStore;
import dev.idempotent.spring.autoconfigure.IdempotentAutoConfiguration;
import dev.idempotent.test.RedisProcesses;
import dev.idempotent.test.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisClusterNode;
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

	@Test
	void configuredThroughSpringDataRedisClusterProperties() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(IdempotentAutoConfiguration.class, DataRedisAutoConfiguration.class,
					JacksonAutoConfiguration.class))
			.withPropertyValues("spring.data.redis.cluster.nodes=" + String.join(",", cluster.nodes()))
			.run((context) -> {
				IdempotencyStore configured = context.getBean(IdempotencyStore.class);
				assertThat(configured).isInstanceOf(RedisIdempotencyStore.class);
				String key = key("configured");
				assertThat(configured.tryClaim(key, "owner-1", null, LONG_LEASE).isAcquired()).isTrue();
				assertThat(store().find(key)).as("the same servers").isPresent();
			});
	}

}
