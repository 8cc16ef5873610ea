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
package dev.idempotent.example.orders;

import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /orders}: the {@code Idempotency-Key} header is required and a retry replays the first
 * response. {@code POST /orders/batch} places several at once and replays the list. {@code GET /orders}
 * lists the caller's orders, so executions can be counted.
 */
@RestController
class OrderController {

	private static final Logger logger = LoggerFactory.getLogger(OrderController.class);

	private final Map<String, List<Order>> ordersByOwner = new ConcurrentHashMap<>();

	@PostMapping("/orders")
	@Idempotent(name = "orders", onDuplicate = DuplicatePolicy.REPLAY)
	ResponseEntity<Order> create(@Valid @RequestBody CreateOrderRequest request, Principal principal)
			throws InterruptedException {
		if (request.processingMillis() != null && request.processingMillis() > 0) {
			Thread.sleep(request.processingMillis());
		}
		Order order = new Order(UUID.randomUUID().toString(), request.sku(), request.quantity(), principal.getName());
		this.ordersByOwner.computeIfAbsent(principal.getName(), (owner) -> new CopyOnWriteArrayList<>()).add(order);
		// The logging context names the operation and key (see logging.pattern.level).
		logger.info("Order {} placed for {}", order.id(), order.owner());
		return ResponseEntity.created(URI.create("/orders/" + order.id())).body(order);
	}

	@PostMapping("/orders/batch")
	@Idempotent(name = "order-batches")
	ResponseEntity<List<Order>> createAll(@Valid @RequestBody OrderBatchRequest batch, Principal principal) {
		List<Order> orders = batch.items()
			.stream()
			.map((request) -> new Order(UUID.randomUUID().toString(), request.sku(), request.quantity(),
					principal.getName()))
			.toList();
		this.ordersByOwner.computeIfAbsent(principal.getName(), (owner) -> new CopyOnWriteArrayList<>())
			.addAll(orders);
		return ResponseEntity.status(HttpStatus.CREATED).body(orders);
	}

	@GetMapping("/orders")
	List<Order> list(Principal principal) {
		return List.copyOf(this.ordersByOwner.getOrDefault(principal.getName(), List.of()));
	}

}
