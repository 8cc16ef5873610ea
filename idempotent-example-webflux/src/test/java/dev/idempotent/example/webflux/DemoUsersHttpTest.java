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
package dev.idempotent.example.webflux;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

import dev.idempotent.test.servers.TestRedis;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.core.userdetails.ReactiveUserDetailsService;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo users log in with HTTP Basic on every request, so their passwords must stay cheap to check:
 * once Spring Security upgrades a password to BCrypt, every request of that user costs tens of
 * milliseconds of CPU.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class DemoUsersHttpTest {

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> "webflux-users-test-" + UUID.randomUUID() + ":");
	}

	@LocalServerPort
	private int port;

	@Autowired
	private ReactiveUserDetailsService users;

	@Autowired
	private PasswordEncoder passwordEncoder;

	@Test
	void loggingInDoesNotUpgradeTheDemoPasswordsToAnExpensiveHash() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		assertThat(http.get("alice", "/orders").statusCode()).isEqualTo(200);
		assertThat(http.get("alice", "/orders").statusCode()).isEqualTo(200);
		assertThat(http.get("bob", "/orders").statusCode()).isEqualTo(200);

		assertThat(this.users.findByUsername("alice").block().getPassword()).isEqualTo("{noop}alice");
		assertThat(this.users.findByUsername("bob").block().getPassword()).isEqualTo("{noop}bob");
	}

	@Test
	void aLoginNeverHashesTheDemoPasswordAgain() {
		// Spring Security's reactive login hashes a password whose encoding asks for an upgrade on every
		// request, even when nothing stores the new hash: BCrypt, tens of milliseconds of CPU each time.
		assertThat(this.passwordEncoder.upgradeEncoding("{noop}alice")).isFalse();
		assertThat(this.passwordEncoder.matches("alice", "{noop}alice")).isTrue();
		assertThat(new ExampleHttpClient(this.port).get("alice", "/orders").statusCode()).isEqualTo(200);
	}

	@Test
	void aWrongPasswordIsRefused() throws Exception {
		// The passwords are compared on the request's own thread; they are compared all the same.
		String credentials = Base64.getEncoder().encodeToString("alice:bob".getBytes(StandardCharsets.UTF_8));
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/orders"))
			.header("Authorization", "Basic " + credentials)
			.build();
		assertThat(HttpClient.newHttpClient().send(request, BodyHandlers.discarding()).statusCode()).isEqualTo(401);
	}

	@Test
	void anUnknownUserIsRefused() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		assertThat(http.get("mallory", "/orders").statusCode()).isEqualTo(401);
	}

}
