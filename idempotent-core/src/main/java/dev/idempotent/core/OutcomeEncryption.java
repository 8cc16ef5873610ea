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

/**
 * Encrypts an outcome, as its {@link OutcomeCodec} wrote it, before the store keeps it, and decrypts
 * it when a duplicate reads it back. The storage key is passed both ways, so an implementation can bind
 * the ciphertext to its record (as associated data): moved to another record, it no longer decrypts.
 * {@link AesGcmOutcomeEncryption} is the one the library ships; an application may write its own (a
 * key management service's, say).
 */
public interface OutcomeEncryption {

	/** Keeps outcomes as the codec wrote them. */
	OutcomeEncryption NONE = new OutcomeEncryption() {

		@Override
		public String encrypt(String storageKey, String outcome) {
			return outcome;
		}

		@Override
		public String decrypt(String storageKey, String stored) {
			return stored;
		}

		@Override
		public String toString() {
			return "OutcomeEncryption.NONE";
		}

	};

	/**
	 * Encrypts an outcome for the record at a storage key.
	 * @param storageKey the record's storage key
	 * @param outcome the outcome as the codec wrote it
	 * @return the text the store keeps
	 * @throws RuntimeException if it cannot encrypt; the engine then keeps a marker instead, and the
	 * call's duplicates are refused with {@link ReplayUnavailableException}
	 */
	String encrypt(String storageKey, String outcome);

	/**
	 * Decrypts what the record at a storage key keeps.
	 * @param storageKey the record's storage key
	 * @param stored the text the store keeps
	 * @return the outcome as the codec wrote it
	 * @throws OutcomeDecryptionException if it cannot be decrypted for good (a key no longer
	 * configured, a ciphertext altered or moved): the duplicate is refused, never run again
	 * @throws RuntimeException if it failed for a passing reason (a key service that did not answer):
	 * the duplicate gets {@link IdempotencyStorageUnavailableException}, and a retry may succeed
	 */
	String decrypt(String storageKey, String stored);

}
