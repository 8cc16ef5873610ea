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

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts outcomes with AES-256-GCM. Each key has an id; outcomes are written with the active key and
 * read with whichever key their id names, so keys rotate without losing the records written before:
 * make a new key active and keep the old one listed until the records it wrote have expired.
 * <p>
 * A stored outcome reads {@code v1:<key id>:<Base64 of nonce, ciphertext and tag>}. The nonce is 96
 * random bits, fresh for every write; the associated data is the version, the key id and the record's
 * storage key, so a ciphertext moved to another record (or relabelled with another key id) does not
 * decrypt. An outcome that does not start with {@code v1:} was written in clear (before encryption
 * was switched on): it is read as it is, or refused if clear outcomes are not accepted.
 * <p>
 * Thread-safe.
 */
public final class AesGcmOutcomeEncryption implements OutcomeEncryption {

	/** The length of every key: 32 bytes (AES-256). */
	public static final int KEY_BYTES = 32;

	private static final String VERSION = "v1";

	private static final String PREFIX = VERSION + ":";

	private static final int NONCE_BYTES = 12;

	private static final int TAG_BITS = 128;

	private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

	private final Map<String, SecretKey> keys;

	private final String activeKeyId;

	private final SecretKey activeKey;

	private final boolean acceptPlaintext;

	private final SecureRandom random = new SecureRandom();

	/**
	 * @param keys the keys by id: every id 1 to 64 letters, digits, {@code .}, {@code _} or {@code -};
	 * every key {@value #KEY_BYTES} bytes
	 * @param activeKeyId the id of the key new outcomes are encrypted with; one of {@code keys}
	 * @param acceptPlaintext whether an outcome stored in clear is read (records written before
	 * encryption was switched on); if not, it is refused with {@link OutcomeDecryptionException.Reason#NOT_ENCRYPTED}
	 * @throws IllegalArgumentException if there are no keys, an id or a key is malformed, or the active
	 * key is not among them
	 */
	public AesGcmOutcomeEncryption(Map<String, byte[]> keys, String activeKeyId, boolean acceptPlaintext) {
		Objects.requireNonNull(keys, "keys");
		Objects.requireNonNull(activeKeyId, "activeKeyId");
		if (keys.isEmpty()) {
			throw new IllegalArgumentException("No encryption key is configured: give at least one, by id");
		}
		Map<String, SecretKey> byId = new LinkedHashMap<>();
		keys.forEach((id, key) -> {
			if (!KEY_ID.matcher(id).matches()) {
				throw new IllegalArgumentException("Encryption key id '" + id + "' is not 1 to 64 letters, digits, "
						+ "'.', '_' or '-'");
			}
			if (key == null || key.length != KEY_BYTES) {
				throw new IllegalArgumentException("Encryption key '" + id + "' has " + ((key != null) ? key.length : 0)
						+ " bytes; an AES-256 key has " + KEY_BYTES + " (generate one with: openssl rand -base64 32)");
			}
			byId.put(id, new SecretKeySpec(key, "AES"));
		});
		SecretKey active = byId.get(activeKeyId);
		if (active == null) {
			throw new IllegalArgumentException("The active encryption key '" + activeKeyId + "' is not among the "
					+ "configured keys " + byId.keySet());
		}
		this.keys = Collections.unmodifiableMap(byId);
		this.activeKeyId = activeKeyId;
		this.activeKey = active;
		this.acceptPlaintext = acceptPlaintext;
	}

	/**
	 * Keys given as Base64 text, as configuration holds them.
	 * @throws IllegalArgumentException as {@link #AesGcmOutcomeEncryption(Map, String, boolean)}, or if a
	 * key is not Base64
	 */
	public static AesGcmOutcomeEncryption ofBase64(Map<String, String> keys, String activeKeyId,
			boolean acceptPlaintext) {
		Map<String, byte[]> decoded = new LinkedHashMap<>();
		keys.forEach((id, key) -> {
			try {
				decoded.put(id, Base64.getDecoder().decode((key != null) ? key.strip() : ""));
			}
			catch (IllegalArgumentException ex) {
				throw new IllegalArgumentException("Encryption key '" + id + "' is not Base64 (generate one with: "
						+ "openssl rand -base64 32)", ex);
			}
		});
		return new AesGcmOutcomeEncryption(decoded, activeKeyId, acceptPlaintext);
	}

	/** The id of the key new outcomes are encrypted with. */
	public String activeKeyId() {
		return this.activeKeyId;
	}

	/** The ids of the keys outcomes can be decrypted with. */
	public Set<String> keyIds() {
		return this.keys.keySet();
	}

	@Override
	public String encrypt(String storageKey, String outcome) {
		byte[] nonce = new byte[NONCE_BYTES];
		this.random.nextBytes(nonce);
		try {
			Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
			cipher.init(Cipher.ENCRYPT_MODE, this.activeKey, new GCMParameterSpec(TAG_BITS, nonce));
			cipher.updateAAD(associatedData(this.activeKeyId, storageKey));
			byte[] sealed = cipher.doFinal(outcome.getBytes(StandardCharsets.UTF_8));
			byte[] stored = ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed).array();
			return PREFIX + this.activeKeyId + ":" + Base64.getEncoder().encodeToString(stored);
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("Could not encrypt an outcome with AES/GCM", ex);
		}
	}

	@Override
	public String decrypt(String storageKey, String stored) {
		if (!stored.startsWith(PREFIX)) {
			if (this.acceptPlaintext) {
				return stored;
			}
			throw new OutcomeDecryptionException(OutcomeDecryptionException.Reason.NOT_ENCRYPTED, null, null);
		}
		int idEnd = stored.indexOf(':', PREFIX.length());
		if (idEnd < 0) {
			throw new OutcomeDecryptionException(OutcomeDecryptionException.Reason.MALFORMED, null, null);
		}
		String keyId = stored.substring(PREFIX.length(), idEnd);
		SecretKey key = this.keys.get(keyId);
		if (key == null) {
			throw new OutcomeDecryptionException(OutcomeDecryptionException.Reason.UNKNOWN_KEY, keyId, null);
		}
		byte[] sealed;
		try {
			sealed = Base64.getDecoder().decode(stored.substring(idEnd + 1));
		}
		catch (IllegalArgumentException ex) {
			throw new OutcomeDecryptionException(OutcomeDecryptionException.Reason.MALFORMED, keyId, ex);
		}
		if (sealed.length < NONCE_BYTES + TAG_BITS / 8) {
			throw new OutcomeDecryptionException(OutcomeDecryptionException.Reason.MALFORMED, keyId, null);
		}
		try {
			Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
			cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
			cipher.updateAAD(associatedData(keyId, storageKey));
			byte[] outcome = cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
			return new String(outcome, StandardCharsets.UTF_8);
		}
		catch (AEADBadTagException ex) {
			throw new OutcomeDecryptionException(OutcomeDecryptionException.Reason.TAMPERED, keyId, ex);
		}
		catch (GeneralSecurityException ex) {
			throw new IllegalStateException("Could not decrypt an outcome with AES/GCM", ex);
		}
	}

	// Binds the ciphertext to its format, its key id and its record.
	private static byte[] associatedData(String keyId, String storageKey) {
		return (PREFIX + keyId + ":" + storageKey).getBytes(StandardCharsets.UTF_8);
	}

	@Override
	public String toString() {
		return "AesGcmOutcomeEncryption[active=" + this.activeKeyId + ", keys=" + this.keys.keySet() + "]";
	}

}
