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
package dev.idempotent.example.payments;

import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.example.Problems;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /payments}: the key is the body's {@code paymentId} (no header), scoped by the
 * merchant's tenant ({@value #TENANT_HEADER}), and a second payment with the same id in the same
 * tenant is rejected with 409.
 * <p>
 * A payment gateway that cannot be reached is a system failure the method answers itself (503)
 * rather than throwing: it tells the library so through {@link IdempotenceService#delete}, and the
 * client's retry runs again.
 */
@RestController
class PaymentController {

	static final String TENANT_HEADER = "X-Tenant";

	private final Map<String, List<Payment>> paymentsByOwner = new ConcurrentHashMap<>();

	private final Set<String> outagesSimulated = ConcurrentHashMap.newKeySet();

	private final IdempotenceService idempotence;

	PaymentController(IdempotenceService idempotence) {
		this.idempotence = idempotence;
	}

	@PostMapping("/payments")
	@Idempotent(name = "payments", key = "#request.paymentId", scope = "#tenant", onDuplicate = DuplicatePolicy.REJECT)
	ResponseEntity<?> pay(@Valid @RequestBody PaymentRequest request,
			@RequestHeader(name = TENANT_HEADER, defaultValue = "default") String tenant, Principal principal) {
		String attempt = principal.getName() + "\n" + tenant + "\n" + request.paymentId();
		if (request.gatewayOutage() && this.outagesSimulated.add(attempt)) {
			// Nothing was charged: release the key so the client's retry runs again.
			this.idempotence.delete(request.paymentId());
			return Problems.of(HttpStatus.SERVICE_UNAVAILABLE, "gateway-unavailable", "Payment gateway unavailable",
					"The payment gateway could not be reached; nothing was charged. Retry later.", "/payments");
		}
		Payment payment = new Payment(request.paymentId(), request.amount(), tenant, principal.getName());
		this.paymentsByOwner.computeIfAbsent(principal.getName(), (owner) -> new CopyOnWriteArrayList<>())
			.add(payment);
		return ResponseEntity.status(HttpStatus.CREATED).body(payment);
	}

	@GetMapping("/payments")
	List<Payment> list(Principal principal) {
		return List.copyOf(this.paymentsByOwner.getOrDefault(principal.getName(), List.of()));
	}

}
