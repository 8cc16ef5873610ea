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
package dev.idempotent.example.bench;

import java.net.URI;
import java.security.Principal;
import java.util.UUID;

import dev.idempotent.autoconfigure.IdempotencyProperties;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import org.jspecify.annotations.Nullable;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Three endpoints that do the same trivial work for the HTTP load run
 * ({@code idempotent-benchmarks/load/run-load.sh}): one with {@link Idempotent}, one without, and the
 * floor, which does by hand the least that any idempotency on Redis must do. The floor's gap to the
 * annotated endpoint is what the library costs a request beyond its round trips. The work is kept trivial so that the cost shows. Both ask
 * for HTTP Basic like every other endpoint; the demo passwords are cheap to check (see
 * {@code SecurityConfiguration}).
 */
@RestController
class BenchController {

	private static final String RUNNING = "";

	// Looked up once: a look-up per request would make the floor dearer than doing it by hand needs.
	private final @Nullable StringRedisTemplate redis;

	private final IdempotencyProperties properties;

	private final JsonMapper json;

	BenchController(ObjectProvider<StringRedisTemplate> redis, IdempotencyProperties properties, JsonMapper json) {
		this.redis = redis.getIfAvailable();
		this.properties = properties;
		this.json = json;
	}

	@PostMapping("/bench/idempotent")
	@Idempotent(name = "bench")
	ResponseEntity<Receipt> idempotent(@Valid @RequestBody Item item, Principal principal) {
		return issue(item, principal);
	}

	@PostMapping("/bench/plain")
	ResponseEntity<Receipt> plain(@Valid @RequestBody Item item, Principal principal) {
		return issue(item, principal);
	}

	/**
	 * The floor: {@code SET key "" NX PX lease}; if that claimed the key, the work, then
	 * {@code SET key outcome PX retention}; if not, {@code GET key} and the stored answer, or a
	 * {@code 409} while the first call runs. Two round trips for a new key and two for a duplicate, on
	 * the application's Redis connection, and none of the library's safeguards (no caller scope beyond
	 * the user name, no fingerprint, no lease renewal, no fencing, no fail-closed answers).
	 */
	@PostMapping("/bench/floor")
	ResponseEntity<Receipt> floor(@RequestHeader("Idempotency-Key") String key, @Valid @RequestBody Item item,
			Principal principal) {
		StringRedisTemplate redis = this.redis;
		if (redis == null) {
			throw new ResponseStatusException(HttpStatus.NOT_IMPLEMENTED, "The floor endpoint needs Redis");
		}
		String stored = this.properties.getKeyPrefix() + "bench-floor:" + principal.getName() + ":" + key;
		if (Boolean.TRUE.equals(redis.opsForValue().setIfAbsent(stored, RUNNING, this.properties.getLease()))) {
			ResponseEntity<Receipt> answer = issue(item, principal);
			redis.opsForValue().set(stored, this.json.writeValueAsString(answer.getBody()), this.properties.getRetention());
			return answer;
		}
		String outcome = redis.opsForValue().get(stored);
		if (outcome == null || RUNNING.equals(outcome)) {
			throw new ResponseStatusException(HttpStatus.CONFLICT, "The first call with this key still runs");
		}
		Receipt receipt = this.json.readValue(outcome, Receipt.class);
		return ResponseEntity.created(URI.create("/bench/" + receipt.id()))
			.header("Idempotent-Replayed", "true")
			.body(receipt);
	}

	private static ResponseEntity<Receipt> issue(Item item, Principal principal) {
		Receipt receipt = new Receipt(UUID.randomUUID().toString(), item.sku(), item.quantity(), principal.getName());
		return ResponseEntity.created(URI.create("/bench/" + receipt.id())).body(receipt);
	}

	/**
	 * The body of the three endpoints.
	 *
	 * @param sku the product
	 * @param quantity how many, 1 to 1000
	 */
	record Item(@NotBlank String sku, @Min(1) @Max(1000) int quantity) {
	}

	/**
	 * The answer of the three endpoints.
	 *
	 * @param id a new id for each execution, so a replay can be told from a second execution
	 * @param sku the product
	 * @param quantity how many
	 * @param owner the user who asked
	 */
	record Receipt(String id, String sku, int quantity, String owner) {
	}

}
