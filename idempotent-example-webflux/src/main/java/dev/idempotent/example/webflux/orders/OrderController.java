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
package dev.idempotent.example.webflux.orders;

import java.net.URI;
import java.security.Principal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Orders, placed once per idempotency key. Nothing happens before subscription: the key is claimed when
 * WebFlux subscribes to the returned {@code Mono} or {@code Flux}, and the order is placed inside it.
 */
@RestController
class OrderController {

	private final Map<String, List<Order>> ordersByOwner = new ConcurrentHashMap<>();

	@PostMapping("/orders")
	@Idempotent(name = "orders", onDuplicate = DuplicatePolicy.REPLAY)
	Mono<ResponseEntity<Order>> create(@Valid @RequestBody CreateOrderRequest request, Principal principal) {
		// Waits without holding a thread: the event loop serves other requests meanwhile.
		return Mono.delay(Duration.ofMillis(request.processingMillisOrZero())).map((tick) -> {
			Order order = place(request, principal.getName());
			return ResponseEntity.created(URI.create("/orders/" + order.id())).body(order);
		});
	}

	@PostMapping("/orders/batch")
	@ResponseStatus(HttpStatus.CREATED)
	@Idempotent(name = "order-batches")
	Flux<Order> createAll(@Valid @RequestBody OrderBatchRequest batch, Principal principal) {
		// A replay answers the same orders, one element for each, in the same order.
		return Flux.fromIterable(batch.items()).map((request) -> place(request, principal.getName()));
	}

	@GetMapping("/orders")
	Flux<Order> list(Principal principal) {
		return Flux.defer(() -> Flux.fromIterable(this.ordersByOwner.getOrDefault(principal.getName(), List.of())));
	}

	private Order place(CreateOrderRequest request, String owner) {
		Order order = new Order(UUID.randomUUID().toString(), request.sku(), request.quantity(), owner);
		this.ordersByOwner.computeIfAbsent(owner, (key) -> new CopyOnWriteArrayList<>()).add(order);
		return order;
	}

}
