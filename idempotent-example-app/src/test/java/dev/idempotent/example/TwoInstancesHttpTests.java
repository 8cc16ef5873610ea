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
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances of the example on one store behave as one service: whichever instance a retry
 * reaches, the work runs once and the other instance replays it. A subclass names the store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TwoInstancesHttpTests {

	private static final String SLOW_ORDER = "{\"sku\":\"book\",\"quantity\":1,\"processingMillis\":500}";

	private final List<ConfigurableApplicationContext> instances = new ArrayList<>();

	private final List<ExampleHttpClient> clients = new ArrayList<>();

	/** The command-line arguments that put an instance on the shared store. */
	protected abstract List<String> storeArguments();

	@BeforeAll
	void startTwoInstances() {
		String prefix = "two-instances-" + UUID.randomUUID() + ":";
		for (int i = 0; i < 2; i++) {
			List<String> arguments = new ArrayList<>(storeArguments());
			arguments.addAll(List.of("--server.port=0", "--idempotent.key-prefix=" + prefix,
					"--spring.application.name=example-" + i));
			ConfigurableApplicationContext context = new SpringApplicationBuilder(ExampleApplication.class)
				.run(arguments.toArray(String[]::new));
			this.instances.add(context);
			int port = ((WebServerApplicationContext) context).getWebServer().getPort();
			this.clients.add(new ExampleHttpClient(port));
		}
	}

	@AfterAll
	void stopInstances() {
		this.instances.forEach(ConfigurableApplicationContext::close);
	}

	@Test
	void aRetryOnTheOtherInstanceReplaysTheFirstResponse() {
		String key = UUID.randomUUID().toString();
		int[] before = orderCounts();
		HttpResponse<String> first = this.clients.get(0).post("alice", "/orders", key, SLOW_ORDER);
		HttpResponse<String> retry = this.clients.get(1).post("alice", "/orders", key, SLOW_ORDER);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(retry)).isEqualTo(json(first));
		int[] after = orderCounts();
		assertThat(after[0]).as("the first instance ran the order").isEqualTo(before[0] + 1);
		assertThat(after[1]).as("the second instance only replayed it").isEqualTo(before[1]);
	}

	@Test
	void concurrentDuplicatesSpreadOverBothInstancesRunOnce() throws Exception {
		String key = UUID.randomUUID().toString();
		int[] before = orderCounts();
		AtomicInteger next = new AtomicInteger();
		List<HttpResponse<String>> responses = ConcurrentCallers.race(24,
				() -> this.clients.get(next.getAndIncrement() % 2).post("alice", "/orders", key, SLOW_ORDER));
		assertThat(responses).extracting(HttpResponse::statusCode)
			.as("each duplicate ran, waited for or was told the first is in progress")
			.allSatisfy((status) -> assertThat(status).isIn(201, 409))
			.contains(201);
		int[] after = orderCounts();
		assertThat(after[0] + after[1]).as("the order ran once across both instances")
			.isEqualTo(before[0] + before[1] + 1);
		HttpResponse<String> original = responses.stream()
			.filter((response) -> response.statusCode() == 201
					&& response.headers().firstValue("Idempotent-Replayed").isEmpty())
			.findFirst()
			.orElseThrow();
		for (ExampleHttpClient client : this.clients) {
			HttpResponse<String> retry = client.post("alice", "/orders", key, SLOW_ORDER);
			assertThat(retry.statusCode()).isEqualTo(201);
			assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
			assertThat(json(retry)).isEqualTo(json(original));
		}
	}

	private int[] orderCounts() {
		return new int[] { this.clients.get(0).count("alice", "/orders"), this.clients.get(1).count("alice", "/orders") };
	}

}
