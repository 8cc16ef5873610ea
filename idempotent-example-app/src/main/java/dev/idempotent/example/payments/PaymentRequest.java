package dev.idempotent.example.payments;

import java.math.BigDecimal;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;

/**
 * The body of {@code POST /payments}.
 *
 * @param paymentId the client's id for the payment; the idempotency key
 * @param amount how much, positive
 */
public record PaymentRequest(@NotBlank String paymentId, @NotNull @Positive BigDecimal amount) {
}
