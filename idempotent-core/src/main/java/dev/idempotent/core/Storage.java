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
import java.util.function.Supplier;

/** Calls a store so that its failure is an outage: fail closed, with a retry hint. */
final class Storage {

	/** The least a Retry-After says. */
	static final Duration MIN_RETRY_AFTER = Duration.ofSeconds(1);

	private Storage() {
	}

	/**
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 * @throws UnsupportedOperationException if the store lacks the primitive: a configuration error,
	 * not an outage
	 */
	static <R> R call(Supplier<R> action) {
		try {
			return action.get();
		}
		catch (UnsupportedOperationException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			throw new IdempotencyStorageUnavailableException(MIN_RETRY_AFTER, ex);
		}
	}

}
