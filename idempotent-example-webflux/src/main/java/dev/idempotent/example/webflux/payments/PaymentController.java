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
package dev.idempotent.example.webflux.payments;

import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Payments, made once per payment id (the key comes from the body, not a header) within a tenant; a
 * second payment with the same id is refused with {@code 409} rather than replayed.
 */
@RestController
class PaymentController {

	private final Map<String, List<Payment>> paymentsByOwner = new ConcurrentHashMap<>();

	@PostMapping("/payments")
	@ResponseStatus(HttpStatus.CREATED)
	@Idempotent(name = "payments", key = "#request.paymentId", scope = "#tenant", onDuplicate = DuplicatePolicy.REJECT)
	Mono<Payment> pay(@Valid @RequestBody PaymentRequest request,
			@RequestHeader(name = "X-Tenant", defaultValue = "default") String tenant, Principal principal) {
		return Mono.fromSupplier(() -> {
			Payment payment = new Payment(request.paymentId(), request.amount(), tenant, principal.getName());
			this.paymentsByOwner.computeIfAbsent(principal.getName(), (owner) -> new CopyOnWriteArrayList<>())
				.add(payment);
			return payment;
		});
	}

	@GetMapping("/payments")
	Flux<Payment> list(Principal principal) {
		return Flux
			.defer(() -> Flux.fromIterable(this.paymentsByOwner.getOrDefault(principal.getName(), List.of())));
	}

}
