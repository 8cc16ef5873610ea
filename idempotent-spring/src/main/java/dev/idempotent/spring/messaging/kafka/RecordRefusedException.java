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

import java.time.Duration;

import dev.idempotent.core.IdempotencyException;

/**
 * An {@link dev.idempotent.spring.Idempotent} Kafka listener refused a record without running it: the
 * record is to be consumed again later, or never. Thrown by {@link KafkaListenerTransport} for the
 * container; {@link RefusedRecordErrorHandler} decides what the record becomes, whatever error handler
 * the container has. The engine's answer is the cause.
 */
public abstract class RecordRefusedException extends RuntimeException {

	private final Refusal refusal;

	private final Duration retryAfter;

	RecordRefusedException(Refusal refusal, Duration retryAfter, IdempotencyException cause) {
		super("Record refused (" + refusal.reason() + "): " + cause.getMessage(), cause);
		this.refusal = refusal;
		this.retryAfter = retryAfter;
	}

	/**
	 * A refused record.
	 * @param refusal why the record was refused
	 * @param retryAfter how long to wait before the record is consumed again, for a refusal that
	 * {@linkplain Refusal#retries() retries}
	 * @param cause the engine's answer
	 */
	public static RecordRefusedException of(Refusal refusal, Duration retryAfter, IdempotencyException cause) {
		return refusal.retries() ? new Retried(refusal, retryAfter, cause) : new DeadLettered(refusal, cause);
	}

	/** Why the record was refused. */
	public Refusal getRefusal() {
		return this.refusal;
	}

	/** How long to wait before the record is consumed again. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

	// One class per answer, so an error handler tells them apart by type, and starts afresh when a record's
	// refusal changes from one to the other (the store is back, and the key turns out reused).
	static final class Retried extends RecordRefusedException {

		Retried(Refusal refusal, Duration retryAfter, IdempotencyException cause) {
			super(refusal, retryAfter, cause);
		}

	}

	static final class DeadLettered extends RecordRefusedException {

		DeadLettered(Refusal refusal, IdempotencyException cause) {
			super(refusal, Duration.ZERO, cause);
		}

	}

	/** Why a record was refused, and whether it is consumed again or dead-lettered. */
	public enum Refusal {

		/**
		 * Its first processing is still running on another consumer: consumed again after a pause, not
		 * committed, never dead-lettered.
		 */
		IN_PROGRESS("in-progress", true),

		/**
		 * The store failed: consumed again after the store's {@code Retry-After}, not committed, never
		 * skipped nor dead-lettered.
		 */
		STORE_UNAVAILABLE("store-unavailable", true),

		/** Its key was used before for a different payload: dead-lettered at once. */
		KEY_REUSED("key-reused", false),

		/** It carries no key: dead-lettered at once. */
		KEY_MISSING("key-missing", false),

		/** Its key is not valid (too long, not printable ASCII, not a live token): dead-lettered at once. */
		KEY_INVALID("key-invalid", false);

		private final String reason;

		private final boolean retries;

		Refusal(String reason, boolean retries) {
			this.reason = reason;
			this.retries = retries;
		}

		/**
		 * The reason as the dead-letter record's {@value RefusedRecordErrorHandler#REFUSED_HEADER}
		 * header says it: {@code key-reused}, {@code key-missing}, {@code key-invalid}.
		 */
		public String reason() {
			return this.reason;
		}

		/** Whether the record is consumed again later; if not, it is dead-lettered. */
		public boolean retries() {
			return this.retries;
		}

	}

}
