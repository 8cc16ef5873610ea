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

/**
 * Told how the {@link IdempotencyEngine} answered each call: the hook for metrics and tracing, which
 * this module leaves to others (the Spring Boot starter records a Micrometer observation).
 * <p>
 * Called on the calling thread, once per {@link IdempotencyEngine#execute} after the call's fate is
 * known and before it returns or throws. It must be quick and must not throw; an exception it throws
 * is logged and ignored.
 */
@FunctionalInterface
public interface IdempotencyListener {

	/** A listener that does nothing. */
	IdempotencyListener NONE = (call, outcome) -> {
	};

	/**
	 * @param call the call as it reached the engine (its key as received, possibly invalid)
	 * @param outcome how it was answered
	 */
	void onOutcome(IdempotencyCall call, CallOutcome outcome);

	/**
	 * A running call lost its claim: a renewal found it gone, or no renewal got through within the
	 * lease. A duplicate may now run beside it. Told on the lease renewer's thread, once per call.
	 */
	default void onLeaseLost(IdempotencyCall call) {
	}

	/**
	 * A call whose outcome could not be stored when it was answered, and that was told
	 * {@link CallOutcome#EXECUTED}, could not be completed later either: a retry may run it again once
	 * its lease lapses. That happens to a call that ran in a transaction, completed once the
	 * transaction ended (told on the thread that ended it), and to a call whose completion failed and
	 * was retried in the background while its lease held (told on the lease renewer's thread).
	 */
	default void onCompletionFailed(IdempotencyCall call) {
	}

}
