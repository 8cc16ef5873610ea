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
 * Turns a call's {@link Outcome} into the text a store keeps, and back. Implementations must
 * round-trip the method's declared type; they must never use Java serialization, and must only
 * reconstruct failures of types the operation keeps ({@link ExceptionPolicy#keepOn()}).
 *
 * @param <T> the result type
 */
public interface OutcomeCodec<T> {

	/**
	 * Writes an outcome.
	 * @throws RuntimeException if it cannot be written; the engine then keeps an
	 * {@link Outcome.Unavailable} instead
	 */
	String encode(Outcome<T> outcome);

	/**
	 * Reads an outcome back.
	 * @throws RuntimeException if it cannot be read; the duplicate is then refused with
	 * {@link ReplayUnavailableException}
	 */
	Outcome<T> decode(String stored);

}
