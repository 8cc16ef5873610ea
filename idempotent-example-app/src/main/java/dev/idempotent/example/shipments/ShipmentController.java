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
