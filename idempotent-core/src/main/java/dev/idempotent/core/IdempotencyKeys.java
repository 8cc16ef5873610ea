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
 * Client key validation and storage key construction. Validation runs before any storage access, so
 * a rejected key stores nothing.
 */
public final class IdempotencyKeys {

	private final String keyPrefix;

	private final int maxKeyLength;

	/**
	 * @param keyPrefix prepended to every storage key, e.g. {@code "idempotency:"}
	 * @param maxKeyLength the longest client key accepted, in characters
	 */
	public IdempotencyKeys(String keyPrefix, int maxKeyLength) {
		if (maxKeyLength < 1) {
			throw new IllegalArgumentException("maxKeyLength must be at least 1, was " + maxKeyLength);
		}
		this.keyPrefix = keyPrefix;
		this.maxKeyLength = maxKeyLength;
	}

	/**
	 * Validates a client key and returns its canonical form. A structured-field string
	 * ({@code "abc"}, RFC 8941) and the bare {@code abc} are the same key.
	 * @throws MissingIdempotencyKeyException if {@code raw} is {@code null}
	 * @throws InvalidIdempotencyKeyException if it is empty, blank, longer than the limit or not
	 * printable ASCII
	 */
	public String normalize(@Nullable String raw) {
		if (raw == null) {
			throw new MissingIdempotencyKeyException("The request has no idempotency key.");
		}
		String key = unquote(raw);
		if (key.isEmpty()) {
			throw new InvalidIdempotencyKeyException("The idempotency key is empty.");
		}
		if (key.length() > this.maxKeyLength) {
			throw new InvalidIdempotencyKeyException(
					"The idempotency key is longer than " + this.maxKeyLength + " characters.");
		}
		for (int i = 0; i < key.length(); i++) {
			char c = key.charAt(i);
			if (c < 0x20 || c > 0x7E) {
				throw new InvalidIdempotencyKeyException(
						"The idempotency key may contain only printable ASCII characters.");
			}
		}
		if (key.isBlank()) {
			throw new InvalidIdempotencyKeyException("The idempotency key is blank.");
		}
		return key;
	}

	// A key that opens a quoted string must be one whole string: "abc and "abc"x are malformed, not keys.
	private static String unquote(String raw) {
		if (raw.isEmpty() || raw.charAt(0) != '"') {
			return raw;
		}
		if (raw.length() < 2 || raw.charAt(raw.length() - 1) != '"') {
			throw new InvalidIdempotencyKeyException("The idempotency key is a malformed structured-field string.");
		}
		StringBuilder key = new StringBuilder(raw.length() - 2);
		for (int i = 1; i < raw.length() - 1; i++) {
			char c = raw.charAt(i);
			if (c == '\\') {
				char next = (i + 1 < raw.length() - 1) ? raw.charAt(++i) : 0;
				if (next != '"' && next != '\\') {
					throw new InvalidIdempotencyKeyException(
							"The idempotency key is a malformed structured-field string.");
				}
				key.append(next);
			}
			else if (c == '"') {
				throw new InvalidIdempotencyKeyException(
						"The idempotency key is a malformed structured-field string.");
			}
			else {
				key.append(c);
			}
		}
		return key.toString();
	}

	/**
	 * Builds the storage key without a scope; see {@link #storageKey(String, String, String, String)}.
	 */
	public String storageKey(String operation, @Nullable String caller, String normalizedKey) {
		return storageKey(operation, caller, null, normalizedKey);
	}

	/**
	 * Builds the storage key: prefix, operation, then a SHA-256 over the scope, the caller and the
	 * client key. Two callers (or two scopes, such as tenants) sending the same key get two records;
	 * the client key never reaches the store in clear.
	 * @param operation the operation scope
	 * @param caller the caller scope (an authenticated principal), or {@code null}
	 * @param scope a further scope (a tenant, say), or {@code null}
	 * @param normalizedKey a key returned by {@link #normalize}
	 */
	public String storageKey(String operation, @Nullable String caller, @Nullable String scope,
			String normalizedKey) {
		Fingerprint digest = new Fingerprint();
		if (scope != null) {
			// Parts are length-prefixed, so four parts never digest like the two of an unscoped key.
			digest.add("scope").add(scope);
		}
		digest.add((caller != null) ? caller : "").add(normalizedKey);
		return this.keyPrefix + operation + ":" + digest.toHex();
	}

}
