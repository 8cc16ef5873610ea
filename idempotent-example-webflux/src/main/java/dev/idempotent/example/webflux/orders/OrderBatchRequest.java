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

import java.util.List;

import com.fasterxml.jackson.annotation.JsonCreator;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /orders/batch}: {@code {"items": [order, ...]}}, or the bare array of orders
 * that earlier releases of this example took.
 *
 * @param items the orders to place, 1 to 100
 */
public record OrderBatchRequest(@NotNull @NotEmpty @Size(max = 100) List<@NotNull @Valid CreateOrderRequest> items) {

	@JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
	public OrderBatchRequest {
	}

	/** The bare array. */
	@JsonCreator(mode = JsonCreator.Mode.DELEGATING)
	static OrderBatchRequest of(List<CreateOrderRequest> items) {
		return new OrderBatchRequest(items);
	}

}
