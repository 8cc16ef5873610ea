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

import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * A duplicate found its call's outcome stored encrypted, and it cannot be decrypted: the duplicate is
 * refused, and the call is not run again. Callers see it as {@link ReplayUnavailableException} (its
 * message says nothing of the reason); the reason and the key id are for the logs and for operators.
 */
public class OutcomeDecryptionException extends ReplayUnavailableException {

	private final Reason reason;

	private final @Nullable String keyId;

	/**
	 * @param reason why the outcome cannot be decrypted
	 * @param keyId the id of the key the outcome was encrypted with, if it could be read
	 * @param cause what the cipher threw, if anything
	 */
	public OutcomeDecryptionException(Reason reason, @Nullable String keyId, @Nullable Throwable cause) {
		this.reason = Objects.requireNonNull(reason, "reason");
		this.keyId = keyId;
		if (cause != null) {
			initCause(cause);
		}
	}

	/** Why the outcome cannot be decrypted. */
	public Reason getReason() {
		return this.reason;
	}

	/** The id of the key the outcome was encrypted with, if the stored text names one. */
	public @Nullable String getKeyId() {
		return this.keyId;
	}

	/** Why a stored outcome cannot be decrypted. */
	public enum Reason {

		/**
		 * It was encrypted with a key id that is not configured (any longer): add the key back, for
		 * reading only, until the records written with it have expired.
		 */
		UNKNOWN_KEY,

		/**
		 * It does not authenticate: the ciphertext was altered, or moved from another record, or the key
		 * configured under its id is not the one it was encrypted with.
		 */
		TAMPERED,

		/** It names an encryption format but is not a well-formed one. */
		MALFORMED,

		/** It is stored in clear, and clear outcomes are not accepted. */
		NOT_ENCRYPTED

	}

}
