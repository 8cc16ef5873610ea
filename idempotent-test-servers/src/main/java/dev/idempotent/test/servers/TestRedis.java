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
package dev.idempotent.test.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;

import com.redis.testcontainers.RedisContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import redis.embedded.RedisServer;

import org.springframework.data.redis.connection.RedisConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The Redis the tests talk to, one per test JVM, chosen in this order:
 * <ol>
 * <li>an explicit setting: system property {@value #URL_PROPERTY} or environment variable
 * {@value #URL_ENV}, e.g. {@code redis://127.0.0.1:6379};</li>
 * <li>a Testcontainers Redis, when a Docker engine answers;</li>
 * <li>a real {@code redis-server} started here from the embedded-redis binary.</li>
 * </ol>
 * The choice is logged; no test is ever skipped for want of Redis. Tests share the server, so each
 * uses keys of its own (a random prefix) and never flushes it.
 */
public final class TestRedis {

	public static final String URL_PROPERTY = "idempotent.test.redis.url";

	public static final String URL_ENV = "IDEMPOTENT_TEST_REDIS_URL";

	private static final Logger logger = LoggerFactory.getLogger(TestRedis.class);

	private static Endpoint endpoint;

	private TestRedis() {
	}

	/** The Redis to use, started on first call. */
	public static synchronized Endpoint endpoint() {
		if (endpoint == null) {
			endpoint = start();
			logger.info("Tests use Redis at {}:{} ({})", endpoint.host(), endpoint.port(), endpoint.source());
		}
		return endpoint;
	}

	private static Endpoint start() {
		String url = System.getProperty(URL_PROPERTY, System.getenv(URL_ENV));
		if (url != null && !url.isBlank()) {
			URI uri = URI.create(url.trim());
			return new Endpoint(uri.getHost(), (uri.getPort() > 0) ? uri.getPort() : 6379, "explicit: " + url);
		}
		if (dockerAvailable()) {
			RedisContainer container = new RedisContainer(RedisContainer.DEFAULT_IMAGE_NAME.withTag("6.2.14"));
			container.start();
			return new Endpoint(container.getRedisHost(), container.getRedisPort(), "Testcontainers");
		}
		return startEmbeddedRedisServer();
	}

	private static boolean dockerAvailable() {
		try {
			return DockerClientFactory.instance().isDockerAvailable();
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	/**
	 * Starts a redis-server from the binary the embedded-redis jar ships (6.2), whatever Redis the
	 * other tests use; it stops when the JVM exits.
	 */
	public static Endpoint startEmbeddedRedisServer() {
		int port = freePort();
		try {
			RedisServer server = RedisServer.newRedisServer()
				.bind("127.0.0.1")
				.port(port)
				.setting("save \"\"")
				.setting("appendonly no")
				.build();
			server.start();
			Runtime.getRuntime().addShutdownHook(new Thread(() -> {
				try {
					server.stop();
				}
				catch (IOException ex) {
					// The process is ending; the server goes with it.
				}
			}, "test-redis-stop"));
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start a redis-server for the tests; set " + URL_PROPERTY
					+ " or " + URL_ENV + " to use a running Redis", ex);
		}
		return new Endpoint("127.0.0.1", port, "embedded redis-server started by the tests");
	}

	/** A started Lettuce connection factory on a Redis setup; destroy it when done. */
	public static LettuceConnectionFactory connect(RedisConfiguration configuration) {
		LettuceConnectionFactory connectionFactory = new LettuceConnectionFactory(configuration);
		connectionFactory.afterPropertiesSet();
		connectionFactory.start();
		return connectionFactory;
	}

	/** A free TCP port on the loopback interface. */
	public static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Where the test Redis listens.
	 *
	 * @param host its host
	 * @param port its port
	 * @param source how it was chosen
	 */
	public record Endpoint(String host, int port, String source) {
	}

}
