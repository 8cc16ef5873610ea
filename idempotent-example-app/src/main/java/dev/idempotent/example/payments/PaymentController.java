package dev.idempotent.example.payments;

import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /payments}: the key is the body's {@code paymentId} (no header), and a second payment
 * with the same id is rejected with 409.
 */
@RestController
class PaymentController {

	private final Map<String, List<Payment>> paymentsByOwner = new ConcurrentHashMap<>();

	@PostMapping("/payments")
	@ResponseStatus(HttpStatus.CREATED)
	@Idempotent(name = "payments", key = "#request.paymentId", onDuplicate = DuplicatePolicy.REJECT)
	Payment pay(@Valid @RequestBody PaymentRequest request, Principal principal) {
		Payment payment = new Payment(request.paymentId(), request.amount(), principal.getName());
		this.paymentsByOwner.computeIfAbsent(principal.getName(), (owner) -> new CopyOnWriteArrayList<>())
			.add(payment);
		return payment;
	}

	@GetMapping("/payments")
	List<Payment> list(Principal principal) {
		return List.copyOf(this.paymentsByOwner.getOrDefault(principal.getName(), List.of()));
	}

}
