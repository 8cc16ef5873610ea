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
package dev.idempotent.example.webflux.orders;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import org.jspecify.annotations.Nullable;

/**
 * An order to place.
 *
 * @param sku what to order
 * @param quantity how many, 1 to 1000
 * @param processingMillis how long placing it takes, to show a retry meeting a running call
 */
public record CreateOrderRequest(@NotBlank String sku, @NotNull @Min(1) @Max(1000) Integer quantity,
		@Min(0) @Max(60_000) @Nullable Long processingMillis) {

	long processingMillisOrZero() {
		return (this.processingMillis != null) ? this.processingMillis : 0;
	}

}
