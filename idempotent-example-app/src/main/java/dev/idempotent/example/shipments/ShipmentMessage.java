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
