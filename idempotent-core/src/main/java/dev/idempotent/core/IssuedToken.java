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

import java.time.Instant;
import java.util.Objects;

/**
 * A one-time token, issued to a caller for an operation: the key of exactly one call.
 *
 * @param token the token, URL-safe Base64 without padding; send it as the call's key
 * @param expiresAt when it stops being accepted, unless a call consumed it before
 */
public record IssuedToken(String token, Instant expiresAt) {

	public IssuedToken {
		Objects.requireNonNull(token, "token");
		Objects.requireNonNull(expiresAt, "expiresAt");
	}

}
