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
 * A call with the same key completed, but its outcome was not kept (larger than the limit, or not
 * storable) or can no longer be read, so it cannot be replayed (HTTP 409). This call did not run:
 * running it again could repeat what the first call did.
 */
public class ReplayUnavailableException extends IdempotencyException {

	public ReplayUnavailableException() {
		super("A request with this idempotency key has already been processed, but its response was not kept "
				+ "and cannot be replayed.");
	}

}
