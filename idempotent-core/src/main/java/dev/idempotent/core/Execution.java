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

import org.jspecify.annotations.Nullable;

/**
 * The result an idempotent call hands back.
 *
 * @param value the method's return value, or the first call's when replayed
 * @param failure the first call's kept failure, reconstructed, when a replay is of a failure; else
 * {@code null}
 * @param replayed whether this is a replay of an earlier call rather than a fresh execution
 * @param <T> the result type
 */
public record Execution<T>(@Nullable T value, @Nullable Throwable failure, boolean replayed) {

	static <T> Execution<T> fresh(@Nullable T value) {
		return new Execution<>(value, null, false);
	}

	static <T> Execution<T> replayOf(Outcome<T> outcome) {
		if (outcome instanceof Outcome.Thrown<T> thrown) {
			return new Execution<>(null, thrown.failure(), true);
		}
		return new Execution<>(((Outcome.Returned<T>) outcome).value(), null, true);
	}

	/**
	 * The value, or the replayed failure thrown: what the caller of the guarded method should see.
	 */
	public @Nullable T getOrThrow() throws Throwable {
		if (this.failure != null) {
			throw this.failure;
		}
		return this.value;
	}

}
