package dev.idempotent.example.shipments;

import org.jspecify.annotations.Nullable;

/**
 * A message on the shipments queue, as JSON: {@code {"shipmentId": "s-1", "processingMillis": 500}}.
 * The AMQP message id is the idempotency key.
 *
 * @param shipmentId the shipment to process
 * @param processingMillis simulated work in milliseconds, to make a consumer slow enough to kill
 */
public record ShipmentMessage(@Nullable String shipmentId, @Nullable Long processingMillis) {
}
