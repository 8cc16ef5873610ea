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
package dev.idempotent.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How an operation treats its calls: resolved once per operation (an annotated method, say) and
 * shared by all its calls.
 *
 * @param onDuplicate what a duplicate of a completed call gets
 * @param lease how long a running call's claim lives without renewal
 * @param retention how long a completed call's outcome is kept
 * @param awaitCompletion how long a duplicate waits for a running call to finish before it is
 * answered "in progress"; {@link Duration#ZERO} answers at once
 * @param exceptions which exceptions keep the key and which release it
 * @param tokenRequired whether a call's key must be a one-time token issued to its caller for the
 * operation ({@link IdempotencyTokens#issue}); the call consumes it
 */
public record IdempotencyPolicy(DuplicatePolicy onDuplicate, Duration lease, Duration retention,
		Duration awaitCompletion, ExceptionPolicy exceptions, boolean tokenRequired) {

	public IdempotencyPolicy {
		Objects.requireNonNull(onDuplicate, "onDuplicate");
		StoreDurations.requirePositiveMillis(lease, "lease");
		StoreDurations.requirePositiveMillis(retention, "retention");
		StoreDurations.requireNonNegativeMillis(awaitCompletion, "awaitCompletion");
		Objects.requireNonNull(exceptions, "exceptions");
	}

	/** A policy whose keys are chosen by the client, not issued as tokens. */
	public IdempotencyPolicy(DuplicatePolicy onDuplicate, Duration lease, Duration retention, Duration awaitCompletion,
			ExceptionPolicy exceptions) {
		this(onDuplicate, lease, retention, awaitCompletion, exceptions, false);
	}

	/** This policy, with keys that must be one-time tokens. */
	public IdempotencyPolicy requiringToken() {
		return new IdempotencyPolicy(this.onDuplicate, this.lease, this.retention, this.awaitCompletion, this.exceptions,
				true);
	}

	/** A policy that answers duplicates at once and releases the key on every exception. */
	public static IdempotencyPolicy of(DuplicatePolicy onDuplicate, Duration lease, Duration retention) {
		return new IdempotencyPolicy(onDuplicate, lease, retention, Duration.ZERO, ExceptionPolicy.RELEASE_ALL);
	}

}
