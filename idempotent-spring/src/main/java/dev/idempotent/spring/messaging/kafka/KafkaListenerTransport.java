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

import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyException;
import dev.idempotent.core.IdempotencyKeyReusedException;
import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.messaging.kafka.RecordRefusedException.Refusal;
import dev.idempotent.spring.transport.FingerprintInputs;
import dev.idempotent.spring.transport.IdempotencyInvocation;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.core.annotation.MergedAnnotation;
import org.springframework.core.annotation.MergedAnnotations;
import org.springframework.core.annotation.MergedAnnotations.SearchStrategy;
import org.springframework.kafka.annotation.KafkaHandler;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.Headers;
import org.springframework.util.StringUtils;

/**
 * {@link Idempotent} on a Kafka record listener: a method with {@code @KafkaListener} or
 * {@code @KafkaHandler} on it. Its key is the annotation's expression, else the record header the
 * annotation names ({@link Idempotent#header()}, by default {@code idempotent.header}), else the
 * record key; both are read from a {@code ConsumerRecord} or Spring {@code Message} argument, or from
 * {@code @Header} arguments for that header and for {@link KafkaHeaders#RECEIVED_KEY}. Its fingerprint
 * is the record's value. Kafka delivers at least once, and the library decides what a record it does
 * not run becomes:
 * <ul>
 * <li>a copy of a record whose processing completed is skipped: the method does not run and the call
 * returns {@code null}, so the container commits its offset;</li>
 * <li>a copy of a record still running elsewhere first waits for it ({@link Idempotent#awaitCompletion()},
 * by default the lease and a second, so the claim of a consumer that died lapses within the wait),
 * then is skipped or runs; if the first is still running, it is refused to be consumed again later,
 * never dead-lettered;</li>
 * <li>with the store failing it is refused to be consumed again after the store's {@code Retry-After}:
 * its offset is not committed, and it is never skipped;</li>
 * <li>a key used before for a different payload, and a missing or invalid key, are refused to the
 * dead-letter topic: no redelivery can fix them;</li>
 * <li>what the method throws propagates as it does without the annotation, to the container's error
 * handler.</li>
 * </ul>
 * A refusal is a {@link RecordRefusedException}, which {@link RefusedRecordErrorHandler} handles
 * before, and whatever, the container's own error handler.
 */
public class KafkaListenerTransport implements IdempotencyTransport {

	private static final Logger logger = LoggerFactory.getLogger(KafkaListenerTransport.class);

	// How much longer than the lease a copy waits by default, so a dead consumer's claim lapses within
	// the wait even when it was renewed just before the consumer died.
	private static final Duration LAPSE_MARGIN = Duration.ofSeconds(1);

	// The shortest pause before a refused record is consumed again, so it never spins.
	private static final Duration MINIMUM_RETRY_AFTER = Duration.ofMillis(100);

	// The longest pause before a copy of a running record is consumed again: each attempt waits for the
	// running one first (awaitCompletion), so the pause between them need not be the rest of the lease.
	private static final Duration IN_PROGRESS_RETRY_AFTER = Duration.ofSeconds(1);

	private final Map<Method, ParameterHeaders> parameterHeaders = new ConcurrentHashMap<>(64);

	/** Whether a Kafka listener container calls the method: {@code @KafkaListener} or {@code @KafkaHandler}. */
	@Override
	public boolean supports(Method method) {
		MergedAnnotations annotations = MergedAnnotations.from(method, SearchStrategy.TYPE_HIERARCHY);
		return annotations.isPresent(KafkaListener.class) || annotations.isPresent(KafkaHandler.class);
	}

	/**
	 * A copy waits for a running call by default: the lease and a second, so the claim of a consumer
	 * that died lapses within the wait.
	 */
	@Override
	public Duration awaitCompletion(Duration lease) {
		return lease.plus(LAPSE_MARGIN);
	}

	/** Never called: a record's key comes from the record ({@link #key(String, Method, Object[])}). */
	@Override
	public @Nullable String key(String header) {
		return null;
	}

	/**
	 * The record's header named {@code header}, else its key: read from a {@code ConsumerRecord} or
	 * {@code Message} argument, else from {@code @Header} arguments.
	 * @throws IllegalStateException if the method has no argument that carries them
	 */
	@Override
	public @Nullable String key(String header, Method method, Object[] arguments) {
		ParameterHeaders headers = parameterHeaders(method);
		boolean carried = false;
		@Nullable Object headerValue = null;
		@Nullable Object recordKey = null;
		for (int i = 0; i < arguments.length; i++) {
			Object argument = arguments[i];
			if (argument instanceof ConsumerRecord<?, ?> record) {
				org.apache.kafka.common.header.Header last = record.headers().lastHeader(header);
				return (last != null) ? text(last.value()) : text(record.key());
			}
			if (argument instanceof Message<?> message) {
				Object value = message.getHeaders().get(header);
				return text((value != null) ? value : message.getHeaders().get(KafkaHeaders.RECEIVED_KEY));
			}
			String name = headers.names()[i];
			if (header.equals(name)) {
				carried = true;
				headerValue = argument;
			}
			else if (KafkaHeaders.RECEIVED_KEY.equals(name)) {
				carried = true;
				recordKey = argument;
			}
		}
		if (!carried) {
			throw new IllegalStateException("@Idempotent on " + method.getDeclaringClass().getName() + "."
					+ method.getName() + " names no key expression, so its key is the record header '" + header
					+ "' or the record key, but it has no argument carrying them: add a ConsumerRecord parameter, "
					+ "or @Header(\"" + header + "\") / @Header(KafkaHeaders.RECEIVED_KEY) parameters, or set key");
		}
		return text((headerValue != null) ? headerValue : recordKey);
	}

	/**
	 * What a listener's fingerprint covers: the record's value, not its delivery. A
	 * {@code ConsumerRecord} counts as its value and a Spring {@code Message} as its payload;
	 * {@code @Header} and {@code @Headers} arguments, the {@code Acknowledgment} and the
	 * {@code Consumer} are left out, as offsets and delivery attempts differ between copies.
	 */
	@Override
	public void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs) {
		List<@Nullable Object> payloads = new ArrayList<>(arguments.length);
		boolean[] delivery = parameterHeaders(method).delivery();
		for (int i = 0; i < arguments.length; i++) {
			Object argument = arguments[i];
			if (delivery[i] || argument instanceof Acknowledgment || argument instanceof Consumer<?, ?>) {
				continue;
			}
			if (argument instanceof ConsumerRecord<?, ?> record) {
				payloads.add(record.value());
			}
			else if (argument instanceof Message<?> message) {
				payloads.add(message.getPayload());
			}
			else {
				payloads.add(argument);
			}
		}
		inputs.text("arguments").values(payloads.toArray());
	}

	/**
	 * Runs a listener's call, or answers its duplicate the way the container understands.
	 * @return what the method returned, or {@code null} for a skipped copy
	 * @throws RecordRefusedException if the record is not run now: to be consumed again, or
	 * dead-lettered
	 */
	@Override
	public @Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable {
		IdempotencyCall call = invocation.resolveCall();
		IdempotencyOperation operation = invocation.operation();
		return invocation.executeAnswering(call, (refusal) -> answer(refusal, call, operation, invocation),
				() -> skip(operation, call.key(), invocation));
	}

	private static @Nullable Object answer(IdempotencyException ex, IdempotencyCall call,
			IdempotencyOperation operation, IdempotencyInvocation invocation) {
		if (ex instanceof DuplicateRequestException || ex instanceof ReplayUnavailableException) {
			return skip(operation, call.key(), invocation);
		}
		if (ex instanceof RequestInProgressException inProgress) {
			logger.debug("A record's first processing is still running elsewhere; it is consumed again later "
					+ "[operation={}, key={}]", operation.name(), call.key());
			Duration retryAfter = retryAfter(inProgress.getRetryAfter());
			throw RecordRefusedException.of(Refusal.IN_PROGRESS,
					(retryAfter.compareTo(IN_PROGRESS_RETRY_AFTER) > 0) ? IN_PROGRESS_RETRY_AFTER : retryAfter, ex);
		}
		if (ex instanceof IdempotencyStorageUnavailableException unavailable) {
			throw RecordRefusedException.of(Refusal.STORE_UNAVAILABLE, retryAfter(unavailable.getRetryAfter()), ex);
		}
		Refusal refusal = (ex instanceof IdempotencyKeyReusedException) ? Refusal.KEY_REUSED
				: (ex instanceof MissingIdempotencyKeyException) ? Refusal.KEY_MISSING : Refusal.KEY_INVALID;
		logger.warn("Refused a record that no redelivery can process: {} It goes to the dead-letter topic "
				+ "[operation={}, key={}]", ex.getMessage(), operation.name(),
				(refusal == Refusal.KEY_REUSED) ? call.key() : "(not shown)");
		throw RecordRefusedException.of(refusal, Duration.ZERO, ex);
	}

	/**
	 * The one place a copy is skipped: the record was processed before, so the method does not run and
	 * the call returns {@code null}, and the container commits the offset. Its outcome is
	 * {@code skipped}, whatever the engine answered.
	 */
	private static @Nullable Object skip(IdempotencyOperation operation, @Nullable String key,
			IdempotencyInvocation invocation) {
		invocation.recordOutcome(CallOutcome.SKIPPED);
		logger.debug("Skipped a copy of a record whose first processing completed; committed without running "
				+ "[operation={}, key={}]", operation.name(), key);
		return null;
	}

	private static Duration retryAfter(Duration retryAfter) {
		return (retryAfter.compareTo(MINIMUM_RETRY_AFTER) < 0) ? MINIMUM_RETRY_AFTER : retryAfter;
	}

	// The @Header names and the @Header or @Headers parameters, looked up once per method: reading a
	// parameter's annotations copies them, a cost every record would pay.
	private ParameterHeaders parameterHeaders(Method method) {
		ParameterHeaders found = this.parameterHeaders.get(method);
		if (found == null) {
			found = this.parameterHeaders.computeIfAbsent(method, (listener) -> {
				Parameter[] parameters = listener.getParameters();
				@Nullable String[] names = new String[parameters.length];
				boolean[] delivery = new boolean[parameters.length];
				for (int i = 0; i < parameters.length; i++) {
					MergedAnnotations annotations = MergedAnnotations.from(parameters[i]);
					names[i] = headerName(annotations);
					delivery[i] = annotations.isPresent(Header.class) || annotations.isPresent(Headers.class);
				}
				return new ParameterHeaders(names, delivery);
			});
		}
		return found;
	}

	// Per parameter of a listener: the record header it carries, if any, and whether it describes the
	// delivery (a @Header or @Headers argument) rather than the record's value.
	private record ParameterHeaders(@Nullable String[] names, boolean[] delivery) {
	}

	private static @Nullable String headerName(MergedAnnotations annotations) {
		MergedAnnotation<Header> header = annotations.get(Header.class);
		if (!header.isPresent()) {
			return null;
		}
		String name = header.getString("name");
		return StringUtils.hasText(name) ? name : header.getString("value");
	}

	private static @Nullable String text(@Nullable Object value) {
		if (value == null) {
			return null;
		}
		return (value instanceof byte[] bytes) ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
	}

}
