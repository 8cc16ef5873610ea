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
package dev.idempotent.example.transfers;

import java.math.BigDecimal;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
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
 * @param processingMillis simulated work in milliseconds, to make a call slow enough to double-click
 */
public record TransferRequest(@NotBlank String from, @NotBlank String to, @NotNull @Positive BigDecimal amount,
		@Nullable SimulatedFailure simulateFailure, @Nullable @Min(0) @Max(60_000) Long processingMillis) {

	SimulatedFailure failure() {
		return (this.simulateFailure != null) ? this.simulateFailure : SimulatedFailure.NONE;
	}

}
