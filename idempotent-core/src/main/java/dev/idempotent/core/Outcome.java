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

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a completed call left behind for its duplicates, as an {@link OutcomeCodec} writes and reads
 * it.
 *
 * @param <T> the call's result type
 */
public sealed interface Outcome<T> permits Outcome.Returned, Outcome.Thrown, Outcome.Unavailable {

	static <T> Outcome<T> returned(@Nullable T value) {
		return new Returned<>(value);
	}

	static <T> Outcome<T> thrown(Throwable failure) {
		return new Thrown<>(failure);
	}

	static <T> Outcome<T> unavailable(String reason) {
		return new Unavailable<>(reason);
	}

	/**
	 * The call returned.
	 *
	 * @param value what it returned
	 * @param <T> the result type
	 */
	record Returned<T>(@Nullable T value) implements Outcome<T> {
	}

	/**
	 * The call threw a failure that keeps the key (see {@link ExceptionPolicy}).
	 *
	 * @param failure what it threw, or, read back, a new exception of the same type and message
	 * @param <T> the result type
	 */
	record Thrown<T>(Throwable failure) implements Outcome<T> {

		public Thrown {
			Objects.requireNonNull(failure, "failure");
		}

	}

	/**
	 * The call completed, but its outcome was not kept (too large, or not encodable): duplicates are
	 * refused with {@link ReplayUnavailableException} rather than run again.
	 *
	 * @param reason why, for the logs
	 * @param <T> the result type
	 */
	record Unavailable<T>(String reason) implements Outcome<T> {

		public Unavailable {
			Objects.requireNonNull(reason, "reason");
		}

	}

}
