package dev.idempotent.example.transfers;

import java.math.BigDecimal;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import org.jspecify.annotations.Nullable;

/**
 * The body of {@code POST /transfers}.
 *
 * @param from the account to debit
 * @param to the account to credit
 * @param amount how much, positive
 * @param simulateFailure the failure to simulate; none when absent
 */
public record TransferRequest(@NotBlank String from, @NotBlank String to, @NotNull @Positive BigDecimal amount,
		@Nullable SimulatedFailure simulateFailure) {

	SimulatedFailure failure() {
		return (this.simulateFailure != null) ? this.simulateFailure : SimulatedFailure.NONE;
	}

}
