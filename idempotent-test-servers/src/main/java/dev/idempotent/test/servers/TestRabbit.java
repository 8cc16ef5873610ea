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

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The RabbitMQ broker the tests talk to, one per test JVM: the URL in system property
 * {@value #URL_PROPERTY} or environment variable {@value #URL_ENV}, else {@value #DEFAULT_URL}. A broker
 * that does not answer fails the test, saying how to point it at one; it is never skipped. Tests share
 * the broker, so each declares queues of its own (random names, deleted when unused).
 */
public final class TestRabbit {

	public static final String URL_PROPERTY = "idempotent.test.rabbitmq.url";

	public static final String URL_ENV = "IDEMPOTENT_TEST_RABBITMQ_URL";

	public static final String DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672";

	private static final Logger logger = LoggerFactory.getLogger(TestRabbit.class);

	private static Endpoint endpoint;

	private TestRabbit() {
	}

	/** The broker to use, checked on first call. */
	public static synchronized Endpoint endpoint() {
		if (endpoint == null) {
			String configured = System.getProperty(URL_PROPERTY, System.getenv(URL_ENV));
			String url = (configured != null && !configured.isBlank()) ? configured.trim() : DEFAULT_URL;
			endpoint = connect(url);
			logger.info("Tests use RabbitMQ at {}:{}{}", endpoint.host(), endpoint.port(),
					(configured != null) ? " (explicit)" : " (default)");
		}
		return endpoint;
	}

	/** Points Spring Boot's {@code spring.rabbitmq.*} at the test broker. */
	public static void register(DynamicPropertyRegistry registry) {
		registry.add("spring.rabbitmq.host", () -> endpoint().host());
		registry.add("spring.rabbitmq.port", () -> endpoint().port());
		registry.add("spring.rabbitmq.username", () -> endpoint().username());
		registry.add("spring.rabbitmq.password", () -> endpoint().password());
		registry.add("spring.rabbitmq.virtual-host", () -> endpoint().virtualHost());
	}

	/** The same settings as command-line arguments, for an application started in another JVM. */
	public static List<String> arguments() {
		Endpoint broker = endpoint();
		return List.of("--spring.rabbitmq.host=" + broker.host(), "--spring.rabbitmq.port=" + broker.port(),
				"--spring.rabbitmq.username=" + broker.username(), "--spring.rabbitmq.password=" + broker.password(),
				"--spring.rabbitmq.virtual-host=" + broker.virtualHost());
	}

	/** A message with a body in UTF-8, as a publisher would send it. */
	public static Message message(@Nullable String messageId, String contentType, String body) {
		MessageProperties properties = new MessageProperties();
		properties.setContentType(contentType);
		properties.setMessageId(messageId);
		return MessageBuilder.withBody(body.getBytes(StandardCharsets.UTF_8)).andProperties(properties).build();
	}

	private static Endpoint connect(String url) {
		ConnectionFactory factory = new ConnectionFactory();
		try {
			factory.setUri(url);
			factory.setConnectionTimeout(5000);
			try (Connection connection = factory.newConnection("idempotent-tests-probe")) {
				connection.getServerProperties();
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException("These tests need a RabbitMQ broker, and none answered at "
					+ URI.create(url).getHost() + ":" + factory.getPort() + " (" + ex + "). Start one (e.g. "
					+ "rabbitmq-server -detached), or point the tests at one with the system property " + URL_PROPERTY
					+ " or the environment variable " + URL_ENV + ", e.g. " + DEFAULT_URL, ex);
		}
		return new Endpoint(factory.getHost(), factory.getPort(), factory.getUsername(), factory.getPassword(),
				factory.getVirtualHost());
	}

	/**
	 * Where the test broker listens, and how to log in.
	 *
	 * @param host its host
	 * @param port its AMQP port
	 * @param username the user
	 * @param password the password
	 * @param virtualHost the virtual host
	 */
	public record Endpoint(String host, int port, String username, String password, String virtualHost) {
	}

}
