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
package dev.idempotent.autoconfigure.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import dev.idempotent.client.feign.IdempotencyKeyRequestInterceptor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.restclient.RestTemplateBuilder;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP clients an application gets from Boot send idempotency keys once {@code idempotent-client}
 * is on the classpath, to a real HTTP server: on the methods configured, in the header configured,
 * and not at all on the kinds of client turned off.
 */
class IdempotencyClientAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyClientAutoConfiguration.class,
				RestClientAutoConfiguration.class, RestTemplateAutoConfiguration.class,
				WebClientAutoConfiguration.class));

	private final Server server = new Server();

	@AfterEach
	void stop() {
		this.server.close();
	}

	@Test
	void everyClientFromBootSendsAKeyOnAPostAndNoneOnAGet() {
		this.runner.run((context) -> {
			post(context, Kind.REST_CLIENT);
			post(context, Kind.REST_TEMPLATE);
			post(context, Kind.WEB_CLIENT);
			assertThat(this.server.keys()).hasSize(3).allSatisfy((key) -> assertThat(key).hasSize(36));
			assertThat(this.server.keys()).doesNotHaveDuplicates();
			context.getBean(RestClient.Builder.class).build().get().uri(this.server.url()).retrieve().toBodilessEntity();
			assertThat(this.server.keys()).hasSize(4).last().isNull();
			assertThat(context).hasSingleBean(IdempotencyKeyRequestInterceptor.class);
		});
	}

	@Test
	void theMethodsAndTheHeaderAreThoseConfigured() {
		this.runner.withPropertyValues("idempotent.client.methods=PUT", "idempotent.client.header=X-Request-Key")
			.run((context) -> {
				RestClient client = context.getBean(RestClient.Builder.class).build();
				client.put().uri(this.server.url()).retrieve().toBodilessEntity();
				client.post().uri(this.server.url()).retrieve().toBodilessEntity();
				assertThat(this.server.headers("X-Request-Key")).hasSize(2).first().isNotNull();
				assertThat(this.server.headers("X-Request-Key")).last().as("POST is not configured").isNull();
				assertThat(this.server.keys()).containsOnlyNulls();
			});
	}

	@Test
	void oneKindOfClientCanBeTurnedOff() {
		this.runner.withPropertyValues("idempotent.client.rest-template.enabled=false",
				"idempotent.client.feign.enabled=false")
			.run((context) -> {
				post(context, Kind.REST_TEMPLATE);
				post(context, Kind.REST_CLIENT);
				assertThat(this.server.keys()).hasSize(2).first().isNull();
				assertThat(this.server.keys().get(1)).isNotNull();
				assertThat(context).doesNotHaveBean(IdempotencyKeyRequestInterceptor.class);
			});
	}

	@Test
	void theWholeClientSideCanBeTurnedOff() {
		this.runner.withPropertyValues("idempotent.client.enabled=false").run((context) -> {
			post(context, Kind.REST_CLIENT);
			post(context, Kind.WEB_CLIENT);
			assertThat(this.server.keys()).containsExactly(null, null);
			assertThat(context).doesNotHaveBean(IdempotencyKeyRequestInterceptor.class);
		});
	}

	@Test
	void aHeaderThatIsNoHeaderNameFailsStartUpNamingIt() {
		this.runner.withPropertyValues("idempotent.client.header=Idempotency Key")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("idempotent.client.header: Not a valid header name: 'Idempotency Key'"));
	}

	private void post(AssertableApplicationContext context, Kind kind) {
		switch (kind) {
			case REST_CLIENT -> context.getBean(RestClient.Builder.class)
				.build()
				.post()
				.uri(this.server.url())
				.retrieve()
				.toBodilessEntity();
			case REST_TEMPLATE -> context.getBean(RestTemplateBuilder.class)
				.build()
				.postForEntity(this.server.url(), null, String.class);
			case WEB_CLIENT -> context.getBean(WebClient.Builder.class)
				.build()
				.post()
				.uri(this.server.url())
				.retrieve()
				.toBodilessEntity()
				.block();
		}
	}

	private enum Kind {

		REST_CLIENT, REST_TEMPLATE, WEB_CLIENT

	}

	/** A real HTTP server on a loopback port that records the headers of each request. */
	private static final class Server implements AutoCloseable {

		private final HttpServer server;

		private final List<com.sun.net.httpserver.Headers> received = new CopyOnWriteArrayList<>();

		Server() {
			try {
				this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			this.server.createContext("/", (exchange) -> {
				exchange.getRequestBody().readAllBytes();
				this.received.add(exchange.getRequestHeaders());
				exchange.sendResponseHeaders(204, -1);
				exchange.close();
			});
			this.server.start();
		}

		String url() {
			return "http://127.0.0.1:" + this.server.getAddress().getPort() + "/orders";
		}

		List<@Nullable String> keys() {
			return headers("Idempotency-Key");
		}

		List<@Nullable String> headers(String name) {
			return this.received.stream().map((headers) -> headers.getFirst(name)).toList();
		}

		@Override
		public void close() {
			this.server.stop(0);
		}

	}

}
