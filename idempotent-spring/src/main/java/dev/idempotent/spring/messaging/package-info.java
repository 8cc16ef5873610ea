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
/**
 * Internal; public for wiring. The message-listener transport: methods a listener container calls
 * ({@code @RabbitListener}, {@code @JmsListener} and their handlers), whose duplicates are skipped,
 * requeued or rejected rather than answered; Kafka listeners in {@code .kafka}.
 */
@NullMarked
package dev.idempotent.spring.messaging;

import org.jspecify.annotations.NullMarked;

