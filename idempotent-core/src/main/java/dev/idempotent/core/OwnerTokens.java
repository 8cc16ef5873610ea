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
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The owner tokens of an engine's claims: unique among the claims of every engine, made without a lock.
 * An engine draws 128 random bits when it is built and numbers its claims after them:
 * {@code <22 characters of URL-safe Base64>.<the claim's number in base 36>}, at most 36 characters, as
 * a random UUID is.
 * <p>
 * A random UUID per claim would ask the shared {@link SecureRandom} for every call, and its lock is a
 * convoy under load: with tens of request threads on two cores, a thread descheduled while holding
 * it stalls every other claim. The token guards nothing against the caller (only a client of the store
 * ever sees it), so it needs to be unique, not unpredictable. The random bits are drawn when the engine
 * is built, at the application's start, never by a first claim: that may run on an event loop, where
 * reading the system's entropy source counts as blocking.
 */
final class OwnerTokens {

	private final String prefix;

	private final AtomicLong claims = new AtomicLong();

	OwnerTokens() {
		byte[] random = new byte[16];
		new SecureRandom().nextBytes(random);
		this.prefix = Base64.getUrlEncoder().withoutPadding().encodeToString(random) + '.';
	}

	/** A token no claim of any engine has had. */
	String next() {
		return this.prefix + Long.toString(this.claims.incrementAndGet(), Character.MAX_RADIX);
	}

}
