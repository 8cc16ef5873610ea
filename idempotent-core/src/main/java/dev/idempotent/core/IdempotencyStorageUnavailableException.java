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
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The store could not be reached or failed, so the library cannot tell whether the call already ran
 * (HTTP 503 with {@code Retry-After}). The method did not run: the library fails closed.
 */
public class IdempotencyStorageUnavailableException extends IdempotencyException {

	private final Duration retryAfter;

	public IdempotencyStorageUnavailableException(Duration retryAfter, Throwable cause) {
		super("Idempotency storage is unavailable; the request was not processed. Retry later.", cause);
		this.retryAfter = retryAfter;
	}

	/** A hint for when to try again. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

	/**
	 * What the store said, for a log line: each cause's type and message down to the root, so the
	 * store's own error ({@code NOAUTH}, {@code WRONGPASS}, {@code OOM}, {@code READONLY}) is named even
	 * where the client wraps it as "Unable to connect".
	 */
	public String getStoreError() {
		Throwable cause = getCause();
		return (cause != null) ? describe(cause) : "unknown";
	}

	/**
	 * A store's failure for a log line or a health detail: each cause's type and message down to the
	 * root, so the store's own error is named even where the client wraps it.
	 * @param failure what the store threw
	 */
	public static String describe(Throwable failure) {
		StringBuilder error = new StringBuilder();
		Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
		for (Throwable cause = failure; cause != null && seen.add(cause); cause = cause.getCause()) {
			if (!error.isEmpty()) {
				error.append("; caused by ");
			}
			error.append(cause.getClass().getSimpleName());
			if (cause.getMessage() != null) {
				error.append(": ").append(cause.getMessage());
			}
		}
		return error.toString();
	}

}
