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

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;

import dev.idempotent.core.store.IdempotencyStore;
import org.jspecify.annotations.Nullable;

/**
 * Issues one-time tokens: keys that a client asks for before a call of an operation whose policy
 * {@linkplain IdempotencyPolicy#tokenRequired() requires one}, each the key of exactly one call by the
 * caller it was issued to. Obtained from {@link IdempotencyEngine#tokens()}, which consumes them.
 * Thread-safe.
 */
public final class IdempotencyTokens {

	// 256 random bits: a token can be neither guessed nor enumerated.
	private static final int TOKEN_BYTES = 32;

	private static final int ATTEMPTS = 3;

	private final IdempotencyStore store;

	private final IdempotencyKeys keys;

	private final Clock clock;

	private final Duration ttl;

	private final SecureRandom random = new SecureRandom();

	IdempotencyTokens(IdempotencyStore store, IdempotencyKeys keys, Clock clock, Duration ttl) {
		this.store = store;
		this.keys = keys;
		this.clock = clock;
		this.ttl = ttl;
	}

	/**
	 * How long an issued token stays live unless a call consumes it, and how long it lives again once
	 * a call that consumed it failed and released its claim.
	 */
	public Duration ttl() {
		return this.ttl;
	}

	/**
	 * Issues a token for a call of the operation, live for {@link #ttl()}.
	 * @param operation the operation the token is for
	 * @param caller the caller the token is for (an authenticated principal), or {@code null}; no other
	 * caller can use it
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public IssuedToken issue(String operation, @Nullable String caller) {
		return issue(operation, caller, this.ttl);
	}

	/**
	 * Issues a token that lives for the given time, unless a call consumes it before. The token is
	 * random (256 bits, URL-safe Base64), and bound to the operation and the caller: it is the key of
	 * exactly one call by that caller.
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public IssuedToken issue(String operation, @Nullable String caller, Duration ttl) {
		Objects.requireNonNull(operation, "operation");
		if (ttl.isNegative() || ttl.isZero()) {
			throw new IllegalArgumentException("A token's time to live must be positive, was " + ttl);
		}
		for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
			String token = newToken();
			String storageKey = this.keys.storageKey(operation, caller, null, token);
			Instant expiresAt = this.clock.instant().plus(ttl);
			if (Storage.call(() -> this.store.issueToken(storageKey, ttl))) {
				return new IssuedToken(token, expiresAt);
			}
		}
		throw new IdempotencyStorageUnavailableException(Storage.MIN_RETRY_AFTER,
				new IllegalStateException("Every fresh token's key was taken in " + ATTEMPTS + " attempts"));
	}

	private String newToken() {
		byte[] bytes = new byte[TOKEN_BYTES];
		this.random.nextBytes(bytes);
		String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
		try {
			return this.keys.normalize(token);
		}
		catch (InvalidIdempotencyKeyException ex) {
			throw new IllegalStateException("A token has " + token.length() + " characters, more than the longest "
					+ "key accepted: raise the maximum key length to use tokens", ex);
		}
	}

}
