package dev.idempotent.example.payments;

import java.math.BigDecimal;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import org.jspecify.annotations.Nullable;

/**
 * The body of {@code POST /payments}.
 *
 * @param paymentId the client's id for the payment; the idempotency key
 * @param amount how much, positive
 * @param simulateGatewayOutage whether the first attempt for this payment finds the gateway down;
 * not when absent
 */
public record PaymentRequest(@NotBlank String paymentId, @NotNull @Positive BigDecimal amount,
		@Nullable Boolean simulateGatewayOutage) {

	boolean gatewayOutage() {
		return Boolean.TRUE.equals(this.simulateGatewayOutage);
	}

}
