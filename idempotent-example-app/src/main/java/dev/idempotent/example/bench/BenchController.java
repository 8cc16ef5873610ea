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

import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Two endpoints that do the same trivial work, one with {@link Idempotent} and one without, for the
 * HTTP load run ({@code idempotent-benchmarks/load/run-load.sh}): the difference in their throughput
 * is what the annotation costs a request. The work is kept trivial so that the cost shows. Both ask
 * for HTTP Basic like every other endpoint; the demo passwords are cheap to check (see
 * {@code SecurityConfiguration}).
 */
@RestController
class BenchController {

	@PostMapping("/bench/idempotent")
	@Idempotent(name = "bench")
	ResponseEntity<Receipt> idempotent(@Valid @RequestBody Item item, Principal principal) {
		return issue(item, principal);
	}

	@PostMapping("/bench/plain")
	ResponseEntity<Receipt> plain(@Valid @RequestBody Item item, Principal principal) {
		return issue(item, principal);
	}

	private static ResponseEntity<Receipt> issue(Item item, Principal principal) {
		Receipt receipt = new Receipt(UUID.randomUUID().toString(), item.sku(), item.quantity(), principal.getName());
		return ResponseEntity.created(URI.create("/bench/" + receipt.id())).body(receipt);
	}

	/**
	 * The body of both endpoints.
	 *
	 * @param sku the product
	 * @param quantity how many, 1 to 1000
	 */
	record Item(@NotBlank String sku, @Min(1) @Max(1000) int quantity) {
	}

	/**
	 * The answer of both endpoints.
	 *
	 * @param id a new id for each execution, so a replay can be told from a second execution
	 * @param sku the product
	 * @param quantity how many
	 * @param owner the user who asked
	 */
	record Receipt(String id, String sku, int quantity, String owner) {
	}

}
