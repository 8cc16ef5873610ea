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
