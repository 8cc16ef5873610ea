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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a call's outcome for the store: what the {@link OutcomeRedactor} keeps of it, encoded by its
 * codec and encrypted by the {@link OutcomeEncryption}, up to a size. An outcome that is too large or
 * cannot be written is replaced by a marker, so a duplicate is refused rather than run again.
 */
final class OutcomeEncoder {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyEngine.class);

	private final int maxOutcomeSize;

	private final OutcomeRedactor redactor;

	private final OutcomeEncryption encryption;

	OutcomeEncoder(int maxOutcomeSize, OutcomeRedactor redactor, OutcomeEncryption encryption) {
		this.maxOutcomeSize = maxOutcomeSize;
		this.redactor = redactor;
		this.encryption = encryption;
	}

	<T> String encode(IdempotencyCall call, String key, String storageKey, OutcomeCodec<T> codec,
			Outcome<T> outcome) {
		String reason;
		try {
			Outcome<T> kept = redact(call, outcome);
			String stored = this.encryption.encrypt(storageKey, codec.encode(kept));
			int size = utf8Length(stored);
			if (size <= this.maxOutcomeSize) {
				return stored;
			}
			reason = "outcome of " + size + " bytes is larger than the limit of " + this.maxOutcomeSize + " bytes";
			logger.warn("The outcome of an idempotent call is not kept: {}; its duplicates will be refused "
					+ "[operation={}, key={}]", reason, call.operation(), key);
		}
		catch (RuntimeException ex) {
			reason = "outcome could not be redacted, encoded or encrypted: " + ex;
			logger.error("The outcome of an idempotent call could not be redacted, encoded or encrypted, so it is "
					+ "not kept; its duplicates will be refused [operation={}, key={}]", call.operation(), key, ex);
		}
		String marker = codec.encode(Outcome.unavailable(reason));
		try {
			return this.encryption.encrypt(storageKey, marker);
		}
		catch (RuntimeException ex) {
			// The marker holds nothing of the outcome: kept in clear, it still refuses the duplicates.
			return marker;
		}
	}

	// The redactor sees what the call returned or threw; a marker is stored as it is.
	@SuppressWarnings("unchecked")
	private <T> Outcome<T> redact(IdempotencyCall call, Outcome<T> outcome) {
		if (outcome instanceof Outcome.Unavailable<T>) {
			return outcome;
		}
		Outcome<?> kept = this.redactor.redact(call, outcome);
		if (kept == null) {
			throw new IllegalStateException("The OutcomeRedactor returned null; return Outcome.unavailable(reason) "
					+ "to store nothing of an outcome");
		}
		return (Outcome<T>) kept;
	}

	private static int utf8Length(String text) {
		int bytes = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c < 0x80) {
				bytes++;
			}
			else if (c < 0x800) {
				bytes += 2;
			}
			else if (Character.isHighSurrogate(c)) {
				bytes += 4;
				i++;
			}
			else {
				bytes += 3;
			}
		}
		return bytes;
	}

}
