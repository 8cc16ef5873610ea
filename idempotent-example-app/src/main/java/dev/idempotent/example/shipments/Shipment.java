package dev.idempotent.example.shipments;

import java.time.Instant;

/**
 * A processed shipment, as {@code GET /shipments} lists it.
 *
 * @param shipmentId the shipment
 * @param messageId the AMQP message id it came with: the idempotency key
 * @param processedAt when its processing finished
 */
public record Shipment(String shipmentId, String messageId, Instant processedAt) {
}
