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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.idempotent.example.transfers.Ledger;
import dev.idempotent.test.servers.example.ExampleServiceContractTest;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static dev.idempotent.test.servers.example.ExampleHttpClient.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example's HTTP contract, over real HTTP, against a real Redis: the contract every example service
 * keeps ({@link ExampleServiceContractTest}), then what only this one offers (transfers, a payment
 * released through {@code IdempotenceService}).
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class ExampleContractHttpTest extends ExampleServiceContractTest {

	@DynamicPropertySource
	static void transfers(DynamicPropertyRegistry registry) {
		// Long enough that a double-clicked transfer always sees the first one finish.
		registry.add("example.transfers.await-completion", () -> "30s");
	}

	@LocalServerPort
	private int port;

	@Autowired
	private Ledger ledger;

	@Override
	protected int port() {
		return this.port;
	}

	@Test
	void paymentGatewayOutageReleasesTheKeyThroughTheServiceSoTheRetryRuns() {
		String payment = "{\"paymentId\":\"" + newKey() + "\",\"amount\":5,\"simulateGatewayOutage\":true}";
		int before = this.http.count("alice", "/payments");
		HttpResponse<String> outage = this.http.post("alice", "/payments", null, payment);
		assertThat(outage.statusCode()).isEqualTo(503);
		assertThat(json(outage).get("type").asString()).isEqualTo("urn:idempotent-example:problem:gateway-unavailable");
		assertThat(outage.headers().firstValue("Retry-After")).hasValue("1");
		assertThat(this.http.count("alice", "/payments")).isEqualTo(before);
		HttpResponse<String> retry = this.http.post("alice", "/payments", null, payment);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(this.http.post("alice", "/payments", null, payment).statusCode()).isEqualTo(409);
		assertThat(this.http.count("alice", "/payments")).isEqualTo(before + 1);
	}	@Test
	void transferSystemFailureReleasesTheKeySoTheRetryRuns() {
		String key = newKey();
		String transfer = "{\"from\":\"sys-" + key + "\",\"to\":\"b\",\"amount\":100,\"simulateFailure\":\"SYSTEM\"}";
		int before = this.http.count("alice", "/transfers");
		HttpResponse<String> first = this.http.post("alice", "/transfers", key, transfer);
		assertThat(first.statusCode()).isEqualTo(503);
		assertThat(first.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(json(first).get("type").asString()).isEqualTo("urn:idempotent-example:problem:ledger-unavailable");
		assertThat(this.http.count("alice", "/transfers")).isEqualTo(before);

		HttpResponse<String> retry = this.http.post("alice", "/transfers", key, transfer);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
		HttpResponse<String> again = this.http.post("alice", "/transfers", key, transfer);
		assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(this.http.count("alice", "/transfers")).isEqualTo(before + 1);
		assertThat(this.ledger.balance("sys-" + key)).isEqualByComparingTo("900");
	}

	@Test
	void transferBusinessFailureKeepsTheKeyAndReplaysTheSame422() {
		String key = newKey();
		String account = "biz-" + key;
		String transfer = "{\"from\":\"" + account + "\",\"to\":\"b\",\"amount\":100,\"simulateFailure\":\"BUSINESS\"}";
		HttpResponse<String> first = this.http.post("alice", "/transfers", key, transfer);
		HttpResponse<String> retry = this.http.post("alice", "/transfers", key, transfer);
		assertThat(first.statusCode()).isEqualTo(422);
		assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
		assertThat(json(first).get("type").asString()).isEqualTo("urn:idempotent-example:problem:insufficient-funds");
		assertThat(retry.statusCode()).isEqualTo(422);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(retry.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(json(first).get("detail").asString())
			.isEqualTo("Account " + account + " has insufficient funds for this transfer.");
		assertThat(json(first).get("account").asString()).isEqualTo(account);
		assertThat(json(first).get("requested").decimalValue()).isEqualByComparingTo("100");
		assertThat(json(first).get("available").decimalValue()).isEqualByComparingTo("1000");
		assertThat(retry.body()).as("the same answer, byte for byte").isEqualTo(first.body());
		assertThat(this.ledger.balance(account)).isEqualByComparingTo(Ledger.OPENING_BALANCE);
	}

	@Test
	void doubleClickedTransferWaitsForTheFirstAnswerAndGetsIt() throws Exception {
		String key = newKey();
		String account = "click-" + key;
		String transfer = "{\"from\":\"" + account + "\",\"to\":\"b\",\"amount\":100,\"processingMillis\":500}";
		int before = this.http.count("alice", "/transfers");
		CompletableFuture<HttpResponse<String>> first = CompletableFuture
			.supplyAsync(() -> this.http.post("alice", "/transfers", key, transfer));
		awaitRecord("transfers", "alice", key);
		HttpResponse<String> second = this.http.post("alice", "/transfers", key, transfer);
		assertThat(first.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
		assertThat(second.statusCode()).as("waited instead of 409").isEqualTo(201);
		assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(json(second)).isEqualTo(json(first.get()));
		assertThat(this.http.count("alice", "/transfers")).isEqualTo(before + 1);
		assertThat(this.ledger.balance(account)).isEqualByComparingTo("900");
	}

}
