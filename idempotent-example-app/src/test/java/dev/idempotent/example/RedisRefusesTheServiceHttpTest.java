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

import dev.idempotent.test.servers.RedisProcesses;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Redis that refuses the service's password: every order is refused with 503 and none runs,
 * and the one log line of each refusal names Redis's own error, not only "Unable to connect".
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class RedisRefusesTheServiceHttpTest {

	private static final RedisProcesses.Standalone redis = new RedisProcesses.Standalone("--requirepass",
			"the-right-password");

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> "127.0.0.1");
		registry.add("spring.data.redis.port", redis::port);
		registry.add("spring.data.redis.password", () -> "a-wrong-password");
	}

	@LocalServerPort
	private int port;

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@Test
	void aWrongPasswordIs503AndTheLogNamesRedissError(CapturedOutput output) {
		ExampleHttpClient http = new ExampleHttpClient(this.port);
		int before = http.count("alice", "/orders");
		HttpResponse<String> refused = http.post("alice", "/orders", UUID.randomUUID().toString(),
				"{\"sku\":\"book\",\"quantity\":1}");
		assertThat(refused.statusCode()).isEqualTo(503);
		assertThat(json(refused).get("type").asString()).isEqualTo("urn:idempotent:problem:storage-unavailable");
		assertThat(refused.body()).as("the client is not told the store's error").doesNotContain("WRONGPASS");
		assertThat(output).containsPattern("WARN .*answered 503 without running POST /orders: .*WRONGPASS");
		assertThat(http.count("alice", "/orders")).isEqualTo(before);
	}

}
