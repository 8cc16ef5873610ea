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
package dev.idempotent.example.webflux.bench;

import java.net.URI;
import java.security.Principal;
import java.util.UUID;

import dev.idempotent.autoconfigure.IdempotencyProperties;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The WebFlux example's three endpoints for the HTTP load run
 * ({@code idempotent-benchmarks/load/run-load.sh}), doing the same trivial work as the servlet
 * example's: one with {@link Idempotent}, one without, and the floor, which does by hand, without
 * blocking, the least that any idempotency on Redis must do. All three ask for HTTP Basic like every
 * other endpoint.
 */
@RestController
class BenchController {

	private static final String RUNNING = "";

	private final ReactiveStringRedisTemplate redis;

	private final IdempotencyProperties properties;

	private final JsonMapper json;

	BenchController(ReactiveStringRedisTemplate redis, IdempotencyProperties properties, JsonMapper json) {
		this.redis = redis;
		this.properties = properties;
		this.json = json;
	}

	@PostMapping("/bench/idempotent")
	@Idempotent(name = "bench")
	Mono<ResponseEntity<Receipt>> idempotent(@Valid @RequestBody Item item, Principal principal) {
		return Mono.fromSupplier(() -> issue(item, principal));
	}

	@PostMapping("/bench/plain")
	Mono<ResponseEntity<Receipt>> plain(@Valid @RequestBody Item item, Principal principal) {
		return Mono.fromSupplier(() -> issue(item, principal));
	}

	/**
	 * The floor, through the reactive template on the application's connection factory:
	 * {@code SET key "" NX PX lease}; if that claimed the key, the work, then
	 * {@code SET key outcome PX retention}; if not, {@code GET key} and the stored answer, or a
	 * {@code 409} while the first call runs. None of the library's safeguards.
	 */
	@PostMapping("/bench/floor")
	Mono<ResponseEntity<Receipt>> floor(@RequestHeader("Idempotency-Key") String key, @Valid @RequestBody Item item,
			Principal principal) {
		String stored = this.properties.getKeyPrefix() + "bench-floor:" + principal.getName() + ":" + key;
		return this.redis.opsForValue().setIfAbsent(stored, RUNNING, this.properties.getLease()).flatMap((claimed) -> {
			if (claimed) {
				ResponseEntity<Receipt> answer = issue(item, principal);
				return this.redis.opsForValue()
					.set(stored, this.json.writeValueAsString(answer.getBody()), this.properties.getRetention())
					.thenReturn(answer);
			}
			return this.redis.opsForValue().get(stored).defaultIfEmpty(RUNNING).map((outcome) -> {
				if (RUNNING.equals(outcome)) {
					throw new ResponseStatusException(HttpStatus.CONFLICT, "The first call with this key still runs");
				}
				Receipt receipt = this.json.readValue(outcome, Receipt.class);
				return ResponseEntity.created(URI.create("/bench/" + receipt.id()))
					.header("Idempotent-Replayed", "true")
					.body(receipt);
			});
		});
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
