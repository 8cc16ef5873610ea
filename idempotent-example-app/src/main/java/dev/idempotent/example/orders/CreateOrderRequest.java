package dev.idempotent.example.orders;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

/**
 * The body of {@code POST /orders}.
 *
 * @param sku the product
 * @param quantity how many, 1 to 1000
 * @param processingMillis simulated work in milliseconds, to make a call slow enough to race
 */
public record CreateOrderRequest(@NotBlank String sku, @NotNull @Min(1) @Max(1000) Integer quantity,
		@Min(0) @Max(60_000) Long processingMillis) {
}
