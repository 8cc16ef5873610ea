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
 * Decides what of a call's outcome is stored for its duplicates: called once a call has returned (or
 * thrown a failure that is kept), before the outcome is written. The caller of the call itself always
 * gets the whole outcome; its duplicates replay what this returns. Return:
 * <ul>
 * <li>the outcome unchanged, to store all of it;</li>
 * <li>another {@link Outcome#returned(Object) returned} value of the method's type (a copy without a card
 * number, say), or another {@link Outcome#thrown(Throwable) failure} of a kept type, to store that;</li>
 * <li>{@link Outcome#unavailable(String)}, to store nothing of it: duplicates are then refused with
 * {@link ReplayUnavailableException}, never run again.</li>
 * </ul>
 * A redactor that throws stores nothing of the outcome, as {@code unavailable} does. Runs on the thread
 * that completes the call; it must be thread-safe and should be quick.
 */
@FunctionalInterface
public interface OutcomeRedactor {

	/** Stores every outcome whole. */
	OutcomeRedactor NONE = (call, outcome) -> outcome;

	/**
	 * What to store of an outcome.
	 * @param call the call that produced it (its operation names the method)
	 * @param outcome what the call returned or threw
	 * @return what to store, never {@code null}
	 */
	Outcome<?> redact(IdempotencyCall call, Outcome<?> outcome);

}
