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
package dev.idempotent.example.shipments;

import java.util.List;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /shipments}: the shipments processed from the queue, to count executions. */
@RestController
@ConditionalOnProperty(name = "spring.rabbitmq.host")
class ShipmentController {

	private final ShipmentListener shipments;

	ShipmentController(ShipmentListener shipments) {
		this.shipments = shipments;
	}

	@GetMapping("/shipments")
	List<Shipment> list() {
		return this.shipments.processed();
	}

}
