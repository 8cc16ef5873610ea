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

import java.util.UUID;

import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo users log in with HTTP Basic on every request, so their passwords must stay cheap to check:
 * once Spring Security upgrades a password to BCrypt, every request of that user costs tens of
 * milliseconds of CPU, and a load tool pointed at the example measures the password hash.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class DemoUsersHttpTest {

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, "example-users-test-" + UUID.randomUUID() + ":");
	}

	@LocalServerPort
	private int port;

	@Autowired
	private UserDetailsService users;

	@Test
	void loggingInDoesNotUpgradeTheDemoPasswordsToAnExpensiveHash() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		assertThat(http.get("alice", "/orders").statusCode()).isEqualTo(200);
		assertThat(http.get("alice", "/orders").statusCode()).isEqualTo(200);
		assertThat(http.get("bob", "/orders").statusCode()).isEqualTo(200);

		assertThat(this.users.loadUserByUsername("alice").getPassword()).isEqualTo("{noop}alice");
		assertThat(this.users.loadUserByUsername("bob").getPassword()).isEqualTo("{noop}bob");
	}

	@Test
	void anUnknownUserIsStillRefused() {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		assertThat(http.get("mallory", "/orders").statusCode()).isEqualTo(401);
	}

}
