package dev.idempotent.example.payments;

import java.math.BigDecimal;

/**
 * A payment made.
 *
 * @param paymentId the client's id for the payment, which is also its idempotency key
 * @param amount how much
 * @param tenant the merchant's tenant it was made in
 * @param owner the user who paid
 */
public record Payment(String paymentId, BigDecimal amount, String tenant, String owner) {
}
