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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.IdempotencyListener;
import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.LeaseRenewer;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.test.servers.RedisProcesses;
import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisClusterConfiguration;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

import static dev.idempotent.redis.TextOutcomes.TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * One Redis Cluster node stalls (its clients paused) while calls whose keys live on it and on another
 * node run on renewed leases, and the application's own Redis timeout is long: the renewal stuck on
 * the stalled node holds up no renewal on the healthy one, so the healthy call keeps its key and its
 * duplicate waits instead of running beside it.
 */
class RedisClusterNodeStallTest {

	private static final Duration LEASE = Duration.ofMillis(1500);

	private static final long STALL_MILLIS = 3000;

	private static RedisProcesses.Cluster cluster;

	private static LettuceConnectionFactory connectionFactory;

	private final String prefix = "stall-" + UUID.randomUUID() + ":";

	private final List<String> events = new CopyOnWriteArrayList<>();

	@BeforeAll
	static void startCluster() {
		cluster = new RedisProcesses.Cluster();
		// The application's own timeout is long: a stalled node holds a call for as long as it stalls.
		connectionFactory = new LettuceConnectionFactory(new RedisClusterConfiguration(cluster.nodes()),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(10)).build());
		connectionFactory.afterPropertiesSet();
		connectionFactory.start();
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

	@Test
	void aRenewalStuckOnAStalledNodeHoldsUpNoRenewalOnAHealthyOne() throws Exception {
		String stalled = keyOnNode(0);
		String healthy = keyOnNode(1);
		try (LeaseRenewer renewer = new LeaseRenewer()) {
			IdempotencyEngine engine = IdempotencyEngine.builder(new RedisIdempotencyStore(connectionFactory))
				.keys(new IdempotencyKeys(this.prefix, 255))
				.leaseRenewer(renewer)
				.listener(new IdempotencyListener() {

					@Override
					public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
						RedisClusterNodeStallTest.this.events.add(call.key() + "=" + outcome.value());
					}

				})
				.build();
			CountDownLatch running = new CountDownLatch(2);
			CountDownLatch finish = new CountDownLatch(1);
			ExecutorService threads = Executors.newFixedThreadPool(2);
			try {
				Future<?> first = threads.submit(() -> run(engine, stalled, running, finish));
				Future<?> second = threads.submit(() -> run(engine, healthy, running, finish));
				assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

				pauseClients(0, STALL_MILLIS);
				// The fault's duration, not a wait for an event: the stall outlasts the lease.
				Thread.sleep(LEASE.toMillis() * 5 / 3);
				assertThatExceptionOfType(RequestInProgressException.class)
					.as("the healthy node's call kept its key through the other node's stall")
					.isThrownBy(() -> engine.execute(call(healthy), TEXT, () -> "a second run"));

				finish.countDown();
				first.get(30, TimeUnit.SECONDS);
				second.get(30, TimeUnit.SECONDS);
			}
			finally {
				finish.countDown();
				threads.shutdownNow();
			}
		}
		assertThat(this.events).contains(healthy + "=executed").doesNotContain(healthy + "=completion_failed");
	}

	private static Void run(IdempotencyEngine engine, String key, CountDownLatch running, CountDownLatch finish)
			throws Exception {
		try {
			engine.execute(call(key), TEXT, () -> {
				running.countDown();
				finish.await();
				return key;
			});
			return null;
		}
		catch (Exception ex) {
			throw ex;
		}
		catch (Throwable ex) {
			throw new IllegalStateException(ex);
		}
	}

	// A key whose record lives on the node that serves the given third of the slots.
	private String keyOnNode(int node) {
		for (int i = 0;; i++) {
			String key = "key-" + node + "-" + i;
			int slot = SlotHash.getSlot(new IdempotencyKeys(this.prefix, 255).storageKey("orders", null, key));
			if (slot >= node * 16384 / 3 && slot < (node + 1) * 16384 / 3) {
				return key;
			}
		}
	}

	private static void pauseClients(int node, long millis) {
		String[] hostAndPort = cluster.nodes().get(node).split(":");
		LettuceConnectionFactory direct = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration(hostAndPort[0], Integer.parseInt(hostAndPort[1])));
		direct.afterPropertiesSet();
		direct.start();
		try {
			new StringRedisTemplate(direct).execute((RedisCallback<Object>) (connection) -> connection.execute("CLIENT",
					bytes("PAUSE"), bytes(Long.toString(millis)), bytes("WRITE")));
		}
		finally {
			direct.destroy();
		}
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static IdempotencyCall call(String key) {
		return new IdempotencyCall("orders", key, null, null, null,
				IdempotencyPolicy.of(DuplicatePolicy.REPLAY, LEASE, Duration.ofMinutes(5)));
	}

}
