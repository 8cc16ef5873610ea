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
		List<Class<? extends Throwable>> keepOn, List<Class<? extends Throwable>> releaseOn) {

	/** The header {@code Idempotency-Key}. */
	public static final String DEFAULT_HEADER = "Idempotency-Key";

	/** Header {@code Idempotency-Key}, a lease of 30 seconds, 24 hours' retention, no listed failures. */
	public static final IdempotencyDefaults STANDARD = new IdempotencyDefaults(DEFAULT_HEADER, Duration.ofSeconds(30),
			Duration.ofHours(24), List.of(), List.of());

	public IdempotencyDefaults {
		Objects.requireNonNull(header, "header");
		Objects.requireNonNull(lease, "lease");
		Objects.requireNonNull(retention, "retention");
		keepOn = List.copyOf(keepOn);
		releaseOn = List.copyOf(releaseOn);
	}

}
