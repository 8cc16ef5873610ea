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
 * The operation requires a one-time token as its key, and the key is none this caller holds: it was
 * never issued for this operation, it expired, or it was issued to another caller (HTTP 400). Nothing
 * ran and nothing changed; in particular, a token of another caller is not consumed.
 */
public class InvalidIdempotencyTokenException extends IdempotencyException {

	public InvalidIdempotencyTokenException() {
		super("The idempotency key is not a live token issued to you for this operation; request a new token.");
	}

}
