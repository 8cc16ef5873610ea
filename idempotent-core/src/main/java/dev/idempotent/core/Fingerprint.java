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

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 over a sequence of parts, each prefixed with its length, so that ("ab", "c") and
 * ("a", "bc") never digest alike. Used for request fingerprints and storage keys.
 * <p>
 * Not thread-safe; one instance digests one sequence.
 */
public final class Fingerprint {

	private static final HexFormat HEX = HexFormat.of();

	private final MessageDigest digest;

	public Fingerprint() {
		try {
			this.digest = MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java platform provides SHA-256", ex);
		}
	}

	/** Adds a part: its UTF-8 bytes. */
	public Fingerprint add(String part) {
		return add(part.getBytes(StandardCharsets.UTF_8));
	}

	/** Adds a part. */
	public Fingerprint add(byte[] part) {
		this.digest.update((part.length + ":").getBytes(StandardCharsets.US_ASCII));
		this.digest.update(part);
		return this;
	}

	/** The digest of the parts added, as 64 lower-case hex digits. Ends this fingerprint. */
	public String toHex() {
		return HEX.formatHex(this.digest.digest());
	}

}
