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
package dev.idempotent.spring.interceptor;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What an {@code @Idempotent} method gets where its annotation says nothing: the application's
 * defaults (in a Spring Boot application, the {@code idempotent.*} properties).
 *
 * @param header the HTTP header that carries the key
 * @param lease how long a claim lives unless renewed
 * @param retention how long a completed call's outcome is kept
 * @param keepOn failures that complete the call (a duplicate gets them again), after the
 * annotation's own
 * @param releaseOn failures that release the key, after the annotation's own
 */
public record IdempotencyDefaults(String header, Duration lease, Duration retention,
		List<Class<? extends Throwable>> keepOn, List<Class<? extends Throwable>> releaseOn, Duration storeTimeout) {

	/** The header {@code Idempotency-Key}. */
	public static final String DEFAULT_HEADER = "Idempotency-Key";

	/** The longest a store call may take by default: 2 seconds. */
	public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(2);

	/**
	 * Header {@code Idempotency-Key}, a lease of 30 seconds, 24 hours' retention, no listed failures,
	 * store calls of at most 2 seconds.
	 */
	public static final IdempotencyDefaults STANDARD = new IdempotencyDefaults(DEFAULT_HEADER, Duration.ofSeconds(30),
			Duration.ofHours(24), List.of(), List.of());

	public IdempotencyDefaults {
		Objects.requireNonNull(header, "header");
		Objects.requireNonNull(lease, "lease");
		Objects.requireNonNull(retention, "retention");
		Objects.requireNonNull(storeTimeout, "storeTimeout");
		keepOn = List.copyOf(keepOn);
		releaseOn = List.copyOf(releaseOn);
	}

	/** Defaults with store calls of at most {@link #DEFAULT_STORE_TIMEOUT}. */
	public IdempotencyDefaults(String header, Duration lease, Duration retention,
			List<Class<? extends Throwable>> keepOn, List<Class<? extends Throwable>> releaseOn) {
		this(header, lease, retention, keepOn, releaseOn, DEFAULT_STORE_TIMEOUT);
	}

	/**
	 * The shortest lease allowed: three store timeouts, so a renewal that times out still leaves time
	 * for another before the lease lapses.
	 */
	public Duration minimumLease() {
		return this.storeTimeout.multipliedBy(3);
	}

}
