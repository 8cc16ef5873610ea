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
package dev.idempotent.spring.transport;

import org.jspecify.annotations.Nullable;

/**
 * The parts a {@link IdempotencyTransport} adds to a call's fingerprint, in order. Values and JSON
 * bodies are put in a canonical form (object keys sorted, no whitespace, numbers by value), so a
 * retry that serialises the same request differently still matches.
 */
public interface FingerprintInputs {

	/** Adds a text as it is. */
	FingerprintInputs text(String text);

	/**
	 * Adds a request body: a JSON one ({@code application/json}, {@code +json}) in canonical form,
	 * any other as its bytes.
	 * @param body the body as it came, or {@code null} for none
	 * @param contentType its content type, or {@code null}
	 */
	FingerprintInputs body(byte @Nullable [] body, @Nullable String contentType);

	/**
	 * Adds values written as JSON, in canonical form.
	 * @throws IllegalStateException if they cannot be written as JSON
	 */
	FingerprintInputs values(@Nullable Object values);

}
