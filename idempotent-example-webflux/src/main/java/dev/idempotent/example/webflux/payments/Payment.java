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
package dev.idempotent.example.webflux.payments;

import java.math.BigDecimal;

/**
 * A payment made.
 *
 * @param paymentId the client's id of the payment
 * @param amount how much
 * @param tenant the tenant it was made in
 * @param owner the user who made it
 */
public record Payment(String paymentId, BigDecimal amount, String tenant, String owner) {
}
