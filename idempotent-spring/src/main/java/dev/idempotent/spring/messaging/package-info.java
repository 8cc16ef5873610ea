/**
 * Internal; public for wiring. The message-listener transport: methods a listener container calls
 * ({@code @RabbitListener}, {@code @JmsListener}, {@code @KafkaListener} and their handlers), whose
 * duplicates are skipped, requeued or rejected rather than answered.
 */
@NullMarked
package dev.idempotent.spring.messaging;

import org.jspecify.annotations.NullMarked;

