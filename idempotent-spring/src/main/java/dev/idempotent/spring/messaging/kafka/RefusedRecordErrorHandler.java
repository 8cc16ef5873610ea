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
package dev.idempotent.spring.messaging.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.idempotent.spring.messaging.kafka.RecordRefusedException.DeadLettered;
import dev.idempotent.spring.messaging.kafka.RecordRefusedException.Retried;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.jspecify.annotations.Nullable;

import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.CommonDelegatingErrorHandler;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.TopicPartitionOffset;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A container's error handler that decides what a record refused by an
 * {@link dev.idempotent.spring.Idempotent} listener ({@link RecordRefusedException}) becomes, and hands
 * every other failure to the error handler the container had:
 * <ul>
 * <li>a record whose first processing still runs elsewhere, or that met a failing store, is consumed
 * again after the refusal's {@code Retry-After}, as often as it takes: its offset is not committed
 * meanwhile, and it is never skipped nor dead-lettered;</li>
 * <li>a record whose key was used before for a different payload, or that has no valid key, goes to the
 * dead-letter topic at once, with the header {@value #REFUSED_HEADER} saying why
 * ({@code key-reused}, {@code key-missing}, {@code key-invalid}) beside Spring Kafka's exception
 * headers. If publishing fails, the record is not committed and is consumed again.</li>
 * </ul>
 */
public class RefusedRecordErrorHandler extends CommonDelegatingErrorHandler {

	/** The header of a dead-lettered record that says why it was refused: {@code key-reused} and others. */
	public static final String REFUSED_HEADER = "idempotent-refused";

	private final CommonErrorHandler delegate;

	/**
	 * @param delegate handles every failure but a refusal: the container's own error handler
	 * @param deadLetters publishes a record that no redelivery can process, as
	 * {@link #deadLetterPublisher(KafkaOperations)} does
	 */
	public RefusedRecordErrorHandler(CommonErrorHandler delegate, ConsumerRecordRecoverer deadLetters) {
		super(delegate);
		this.delegate = delegate;
		setCauseChainTraversing(true);
		setErrorHandlers(Map.of(Retried.class, retries(delegate), DeadLettered.class, deadLetters(delegate, deadLetters)));
	}

	/**
	 * Publishes a refused record to {@code <topic>-dlt}, the partition it came from, with the
	 * {@value #REFUSED_HEADER} header saying why.
	 * @param template sends the record's key and value as they were consumed: its serializers must
	 * write them
	 */
	public static DeadLetterPublishingRecoverer deadLetterPublisher(KafkaOperations<?, ?> template) {
		DeadLetterPublishingRecoverer publisher = new DeadLetterPublishingRecoverer(template);
		publisher.addHeadersFunction((record, ex) -> refusalHeaders(ex));
		return publisher;
	}

	/** The error handler the container had, which gets every failure but a refusal. */
	public CommonErrorHandler getDelegate() {
		return this.delegate;
	}

	@Override
	public boolean deliveryAttemptHeader() {
		return this.delegate.deliveryAttemptHeader();
	}

	@Override
	public int deliveryAttempt(TopicPartitionOffset topicPartitionOffset) {
		return this.delegate.deliveryAttempt(topicPartitionOffset);
	}

	// Consumed again after the refusal's Retry-After, without end.
	private static DefaultErrorHandler retries(CommonErrorHandler delegate) {
		DefaultErrorHandler retries = new DefaultErrorHandler((record, ex) -> {
			throw new IllegalStateException("A refused record that is retried is never recovered", ex);
		}, new FixedBackOff(FixedBackOff.DEFAULT_INTERVAL, FixedBackOff.UNLIMITED_ATTEMPTS));
		retries.setBackOffFunction((record, ex) -> {
			RecordRefusedException refused = refusal(ex);
			return new FixedBackOff((refused != null) ? refused.getRetryAfter().toMillis() : FixedBackOff.DEFAULT_INTERVAL,
					FixedBackOff.UNLIMITED_ATTEMPTS);
		});
		return matching(delegate, retries);
	}

	// Dead-lettered at the first refusal.
	private static DefaultErrorHandler deadLetters(CommonErrorHandler delegate, ConsumerRecordRecoverer deadLetters) {
		return matching(delegate, new DefaultErrorHandler(deadLetters, new FixedBackOff(0, 0)));
	}

	// The container asks the handler whether it seeks and acknowledges after handling: every handler it
	// delegates to must answer as the container's own does.
	private static DefaultErrorHandler matching(CommonErrorHandler delegate, DefaultErrorHandler handler) {
		handler.setSeekAfterError(delegate.seeksAfterHandling());
		handler.setAckAfterHandle(delegate.isAckAfterHandle());
		// A refusal is the library's answer, logged where it is made; not an error of the container's.
		handler.setLogLevel(KafkaException.Level.DEBUG);
		return handler;
	}

	private static @Nullable Headers refusalHeaders(@Nullable Exception ex) {
		RecordRefusedException refused = refusal(ex);
		if (refused == null) {
			return null;
		}
		return new RecordHeaders().add(REFUSED_HEADER, refused.getRefusal().reason().getBytes(StandardCharsets.UTF_8));
	}

	private static @Nullable RecordRefusedException refusal(@Nullable Throwable ex) {
		for (Throwable cause = ex; cause != null; cause = cause.getCause()) {
			if (cause instanceof RecordRefusedException refused) {
				return refused;
			}
		}
		return null;
	}

}
