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

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class AesGcmOutcomeEncryptionTest {

	private static final byte[] KEY_A = key(1);

	private static final byte[] KEY_B = key(2);

	private static final String OUTCOME = "{\"value\":{\"card\":\"4111111111111111\"}}";

	@Test
	void roundTripsAndHidesTheOutcome() {
		AesGcmOutcomeEncryption encryption = encryption(Map.of("a", KEY_A), "a", true);
		String stored = encryption.encrypt("idem:pay:1", OUTCOME);
		assertThat(stored).startsWith("v1:a:").doesNotContain("4111").doesNotContain("card");
		assertThat(encryption.decrypt("idem:pay:1", stored)).isEqualTo(OUTCOME);
	}

	@Test
	void everyWriteHasAFreshNonce() {
		AesGcmOutcomeEncryption encryption = encryption(Map.of("a", KEY_A), "a", true);
		assertThat(encryption.encrypt("idem:pay:1", OUTCOME)).isNotEqualTo(encryption.encrypt("idem:pay:1", OUTCOME));
	}

	@Test
	void aCiphertextMovedToAnotherRecordDoesNotDecrypt() {
		AesGcmOutcomeEncryption encryption = encryption(Map.of("a", KEY_A), "a", true);
		String stored = encryption.encrypt("idem:pay:1", OUTCOME);
		assertThatExceptionOfType(OutcomeDecryptionException.class)
			.isThrownBy(() -> encryption.decrypt("idem:pay:2", stored))
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.TAMPERED));
	}

	@Test
	void anAlteredCiphertextDoesNotDecrypt() {
		AesGcmOutcomeEncryption encryption = encryption(Map.of("a", KEY_A), "a", true);
		String stored = encryption.encrypt("idem:pay:1", OUTCOME);
		byte[] sealed = Base64.getDecoder().decode(stored.substring("v1:a:".length()));
		sealed[sealed.length / 2] ^= 1;
		String altered = "v1:a:" + Base64.getEncoder().encodeToString(sealed);
		assertThatExceptionOfType(OutcomeDecryptionException.class)
			.isThrownBy(() -> encryption.decrypt("idem:pay:1", altered))
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.TAMPERED));
		assertThatExceptionOfType(OutcomeDecryptionException.class)
			.isThrownBy(() -> encryption.decrypt("idem:pay:1", "v1:a:not base64!"))
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.MALFORMED));
	}

	@Test
	void rotatedKeysStillReadTheOldRecordsUntilRemoved() {
		String underA = encryption(Map.of("a", KEY_A), "a", true).encrypt("k", OUTCOME);
		AesGcmOutcomeEncryption rotated = encryption(ordered("a", KEY_A, "b", KEY_B), "b", true);
		assertThat(rotated.decrypt("k", underA)).isEqualTo(OUTCOME);
		assertThat(rotated.encrypt("k", OUTCOME)).startsWith("v1:b:");
		AesGcmOutcomeEncryption withoutA = encryption(Map.of("b", KEY_B), "b", true);
		assertThatExceptionOfType(OutcomeDecryptionException.class).isThrownBy(() -> withoutA.decrypt("k", underA))
			.satisfies((ex) -> {
				assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.UNKNOWN_KEY);
				assertThat(ex.getKeyId()).isEqualTo("a");
			});
	}

	@Test
	void anotherKeyUnderTheSameIdDoesNotDecrypt() {
		String underA = encryption(Map.of("a", KEY_A), "a", true).encrypt("k", OUTCOME);
		assertThatExceptionOfType(OutcomeDecryptionException.class)
			.isThrownBy(() -> encryption(Map.of("a", KEY_B), "a", true).decrypt("k", underA))
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.TAMPERED));
	}

	@Test
	void clearOutcomesAreReadOnlyWhenAccepted() {
		assertThat(encryption(Map.of("a", KEY_A), "a", true).decrypt("k", OUTCOME)).isEqualTo(OUTCOME);
		assertThatExceptionOfType(OutcomeDecryptionException.class)
			.isThrownBy(() -> encryption(Map.of("a", KEY_A), "a", false).decrypt("k", OUTCOME))
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.NOT_ENCRYPTED));
	}

	@Test
	void refusesBadKeysSayingWhich() {
		assertThatIllegalArgumentException().isThrownBy(() -> encryption(Map.of(), "a", true))
			.withMessageContaining("No encryption key");
		assertThatIllegalArgumentException().isThrownBy(() -> encryption(Map.of("a", new byte[16]), "a", true))
			.withMessageContaining("'a' has 16 bytes");
		assertThatIllegalArgumentException().isThrownBy(() -> encryption(Map.of("a", KEY_A), "b", true))
			.withMessageContaining("active encryption key 'b'");
		assertThatIllegalArgumentException().isThrownBy(() -> encryption(Map.of("a:1", KEY_A), "a:1", true))
			.withMessageContaining("id 'a:1'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> AesGcmOutcomeEncryption.ofBase64(Map.of("a", "not*base64"), "a", true))
			.withMessageContaining("'a' is not Base64");
	}

	@Test
	void toStringNamesNoKeyMaterial() {
		assertThat(encryption(Map.of("a", KEY_A), "a", true)).hasToString("AesGcmOutcomeEncryption[active=a, keys=[a]]");
	}

	private static AesGcmOutcomeEncryption encryption(Map<String, byte[]> keys, String active, boolean plaintext) {
		return new AesGcmOutcomeEncryption(keys, active, plaintext);
	}

	private static Map<String, byte[]> ordered(String id1, byte[] key1, String id2, byte[] key2) {
		Map<String, byte[]> keys = new LinkedHashMap<>();
		keys.put(id1, key1);
		keys.put(id2, key2);
		return keys;
	}

	private static byte[] key(int fill) {
		byte[] key = new byte[AesGcmOutcomeEncryption.KEY_BYTES];
		java.util.Arrays.fill(key, (byte) fill);
		return key;
	}

}
