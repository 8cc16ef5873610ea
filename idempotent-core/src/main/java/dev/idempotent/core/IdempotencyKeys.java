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

import java.util.Arrays;

import org.jspecify.annotations.Nullable;

/**
 * Client key validation and storage key construction. Validation runs before any storage access, so
 * a rejected key stores nothing. With a secret, the client key's hash in the storage key and the
 * fingerprint a record keeps are HMAC-SHA256s keyed with it: whoever reads the store cannot test a
 * guess of a key or of a request against them.
 */
public final class IdempotencyKeys {

	/** The shortest secret accepted: 32 bytes, as many as the HMAC-SHA256 output. */
	public static final int MIN_SECRET_BYTES = 32;

	private final String keyPrefix;

	private final int maxKeyLength;

	private final byte @Nullable [] secret;

	/**
	 * Keys whose hashes are plain SHA-256s.
	 * @param keyPrefix prepended to every storage key, e.g. {@code "idempotency:"}
	 * @param maxKeyLength the longest client key accepted, in characters
	 */
	public IdempotencyKeys(String keyPrefix, int maxKeyLength) {
		this(keyPrefix, maxKeyLength, null);
	}

	/**
	 * Keys whose hashes, and the fingerprints records keep, are HMAC-SHA256s keyed with a secret.
	 * Another secret makes other storage keys: records written under the old one are not found.
	 * @param keyPrefix prepended to every storage key, e.g. {@code "idempotency:"}
	 * @param maxKeyLength the longest client key accepted, in characters
	 * @param secret the HMAC key, or {@code null} for plain SHA-256s; at least {@value #MIN_SECRET_BYTES}
	 * bytes
	 */
	public IdempotencyKeys(String keyPrefix, int maxKeyLength, byte @Nullable [] secret) {
		if (maxKeyLength < 1) {
			throw new IllegalArgumentException("maxKeyLength must be at least 1, was " + maxKeyLength);
		}
		if (secret != null && secret.length < MIN_SECRET_BYTES) {
			throw new IllegalArgumentException("The key secret must have at least " + MIN_SECRET_BYTES
					+ " bytes, had " + secret.length);
		}
		this.keyPrefix = keyPrefix;
		this.maxKeyLength = maxKeyLength;
		this.secret = (secret != null) ? Arrays.copyOf(secret, secret.length) : null;
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
	 * Builds the storage key: prefix, operation, then a SHA-256 (an HMAC-SHA256 with a secret) over the
	 * scope, the caller and the client key. Two callers (or two scopes, such as tenants) sending the same key get two records;
	 * the client key never reaches the store in clear.
	 * @param operation the operation scope
	 * @param caller the caller scope (an authenticated principal), or {@code null}
	 * @param scope a further scope (a tenant, say), or {@code null}
	 * @param normalizedKey a key returned by {@link #normalize}
	 */
	public String storageKey(String operation, @Nullable String caller, @Nullable String scope,
			String normalizedKey) {
		Fingerprint digest = newDigest();
		if (scope != null) {
			// Parts are length-prefixed, so four parts never digest like the two of an unscoped key.
			digest.add("scope").add(scope);
		}
		digest.add((caller != null) ? caller : "").add(normalizedKey);
		return this.keyPrefix + operation + ":" + digest.toHex();
	}

	/**
	 * The fingerprint a record keeps for a call's fingerprint: the same without a secret, else an
	 * HMAC-SHA256 of it, so that the stored value cannot be tested against a guessed request.
	 * @param fingerprint the call's fingerprint, or {@code null} when the call has none
	 */
	public @Nullable String storedFingerprint(@Nullable String fingerprint) {
		if (fingerprint == null || this.secret == null) {
			return fingerprint;
		}
		return newDigest().add("fingerprint").add(fingerprint).toHex();
	}

	private Fingerprint newDigest() {
		return (this.secret != null) ? new Fingerprint(this.secret) : new Fingerprint();
	}

}
