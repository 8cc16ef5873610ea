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
 * One call to run at most once: who asks, for what, under which key and policy.
 *
 * @param operation the operation scope, e.g. {@code "orders"}
 * @param key the client's key as received, or {@code null} if it sent none
 * @param caller the caller scope (an authenticated principal), or {@code null}
 * @param scope a further scope, such as a tenant, or {@code null}
 * @param fingerprint a digest of the request, compared on duplicates; {@code null} turns the check off
 * @param policy how the operation treats duplicates, leases and exceptions
 */
public record IdempotencyCall(String operation, @Nullable String key, @Nullable String caller, @Nullable String scope,
		@Nullable String fingerprint, IdempotencyPolicy policy) {

	public IdempotencyCall {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(policy, "policy");
	}

}
