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
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Consumer;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A SHA-256 over a sequence of parts, each prefixed with its length, so that ("ab", "c") and
 * ("a", "bc") never digest alike. Used for request fingerprints and storage keys. Made with a secret
 * ({@link #Fingerprint(byte[])}), it is an HMAC-SHA256 instead: whoever reads the store without the
 * secret cannot test a guess of the parts against it.
 * <p>
 * Not thread-safe; one instance digests one sequence.
 */
public final class Fingerprint {

	private static final HexFormat HEX = HexFormat.of();

	// Cloned for each plain fingerprint: a clone costs far less than a provider look-up. Never updated.
	private static final MessageDigest SHA_256 = sha256();

	private final Consumer<byte[]> update;

	private final Supplier<byte[]> finish;

	/** A plain SHA-256. */
	public Fingerprint() {
		MessageDigest digest = newSha256();
		this.update = digest::update;
		this.finish = digest::digest;
	}

	private static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java platform provides SHA-256", ex);
		}
	}

	private static MessageDigest newSha256() {
		try {
			return (MessageDigest) SHA_256.clone();
		}
		catch (CloneNotSupportedException ex) {
			return sha256();
		}
	}

	/**
	 * An HMAC-SHA256 keyed with a secret.
	 * @param secret the key; never empty
	 */
	public Fingerprint(byte[] secret) {
		if (secret.length == 0) {
			throw new IllegalArgumentException("An HMAC secret must not be empty");
		}
		Mac mac;
		try {
			mac = Mac.getInstance("HmacSHA256");
			mac.init(new SecretKeySpec(secret, "HmacSHA256"));
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("Every Java platform provides HmacSHA256", ex);
		}
		this.update = mac::update;
		this.finish = mac::doFinal;
	}

	/** Adds a part: its UTF-8 bytes. */
	public Fingerprint add(String part) {
		return add(part.getBytes(StandardCharsets.UTF_8));
	}

	/** Adds a part. */
	public Fingerprint add(byte[] part) {
		this.update.accept((part.length + ":").getBytes(StandardCharsets.US_ASCII));
		this.update.accept(part);
		return this;
	}

	/** The digest of the parts added, as 64 lower-case hex digits. Ends this fingerprint. */
	public String toHex() {
		return HEX.formatHex(this.finish.get());
	}

}
