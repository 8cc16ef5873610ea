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

/**
 * A call with the same key is still running (HTTP 409 with {@code Retry-After}). This call did not
 * run.
 */
public class RequestInProgressException extends IdempotencyException {

	private final Duration retryAfter;

	public RequestInProgressException(Duration retryAfter) {
		super("A request with this idempotency key is still being processed; retry later.");
		this.retryAfter = retryAfter;
	}

	/** A hint for when the first call is likely to have finished. */
	public Duration getRetryAfter() {
		return this.retryAfter;
	}

}
