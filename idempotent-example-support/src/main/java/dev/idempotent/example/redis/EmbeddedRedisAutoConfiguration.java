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
package dev.idempotent.example.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * With no Redis configured, the example starts a {@code redis-server} of its own (the binary shipped
 * in the embedded-redis jar) on a free loopback port and points Spring Data Redis at it, so the
 * example runs with nothing but a JDK. Set {@code spring.data.redis.host}/{@code port} to use a real
 * Redis instead.
 * <p>
 * An auto-configuration, ordered before Spring Boot's Redis one so that its connection details win,
 * shared by both example services.
 */
@AutoConfiguration(before = DataRedisAutoConfiguration.class)
@Conditional(NoRedisConfiguredCondition.class)
class EmbeddedRedisAutoConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(EmbeddedRedisAutoConfiguration.class);

	@Bean(destroyMethod = "stop")
	RedisServer embeddedRedisServer() throws IOException {
		int port = freePort();
		RedisServer server = RedisServer.newRedisServer()
			.bind("127.0.0.1")
			.port(port)
			.setting("save \"\"")
			.setting("appendonly no")
			.build();
		server.start();
		logger.info("No spring.data.redis.* configured: started an embedded redis-server on 127.0.0.1:{}; "
				+ "idempotency records live only as long as this process", port);
		return server;
	}

	@Bean
	DataRedisConnectionDetails embeddedRedisConnectionDetails(RedisServer embeddedRedisServer) {
		int port = embeddedRedisServer.ports().get(0);
		return new DataRedisConnectionDetails() {

			@Override
			public Standalone getStandalone() {
				return Standalone.of("127.0.0.1", port);
			}

		};
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not find a free port for the embedded Redis", ex);
		}
	}

}
