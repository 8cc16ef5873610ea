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
package dev.idempotent.example;

import java.net.http.HttpResponse;
import java.util.UUID;
import javax.sql.DataSource;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.embedded.RedisServer;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's run command with no Redis configured: the example starts a redis-server of its own,
 * says so, and idempotency works on it. With no RabbitMQ configured, it starts without the shipments
 * consumer.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class EmbeddedRedisStartupTest {

	@LocalServerPort
	private int port;

	@Autowired
	private RedisServer embeddedRedis;

	@Autowired
	private IdempotencyStore store;

	@Autowired
	private ApplicationContext context;

	@Test
	void startsItsOwnRedisAndUsesIt(CapturedOutput output) {
		assertThat(this.embeddedRedis.isActive()).isTrue();
		assertThat(this.store).isInstanceOf(RedisIdempotencyStore.class);
		assertThat(this.context.getBeanNamesForType(DataSource.class))
			.as("the JDBC starter is on the class path, but no database is configured")
			.isEmpty();
		assertThat(this.context.containsBean("rabbitHealthContributor"))
			.as("the AMQP starter is on the class path, but no broker is configured: no health check of a "
					+ "broker on localhost")
			.isFalse();
		int redisPort = this.embeddedRedis.ports().get(0);
		assertThat(output).contains("started an embedded redis-server on 127.0.0.1:" + redisPort)
			.contains("Idempotency records in Redis at 127.0.0.1:" + redisPort);

		ExampleHttpClient http = new ExampleHttpClient(this.port);
		String key = UUID.randomUUID().toString();
		HttpResponse<String> first = http.post("alice", "/orders", key, "{\"sku\":\"pen\",\"quantity\":1}");
		HttpResponse<String> retry = http.post("alice", "/orders", key, "{\"sku\":\"pen\",\"quantity\":1}");
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(retry.body()).isEqualTo(first.body());
		assertThat(http.get("alice", "/shipments").statusCode()).as("no shipments consumer without RabbitMQ")
			.isEqualTo(404);
	}

}
