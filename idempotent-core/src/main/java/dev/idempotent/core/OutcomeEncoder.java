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
 * Writes a call's outcome for the store, up to a size. An outcome that is too large or cannot be
 * written is replaced by a marker, so a duplicate is refused rather than run again.
 */
final class OutcomeEncoder {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyEngine.class);

	private final int maxOutcomeSize;

	OutcomeEncoder(int maxOutcomeSize) {
		this.maxOutcomeSize = maxOutcomeSize;
	}

	<T> String encode(IdempotencyCall call, String key, OutcomeCodec<T> codec, Outcome<T> outcome) {
		String reason;
		try {
			String stored = codec.encode(outcome);
			int size = utf8Length(stored);
			if (size <= this.maxOutcomeSize) {
				return stored;
			}
			reason = "outcome of " + size + " bytes is larger than the limit of " + this.maxOutcomeSize + " bytes";
			logger.warn("The outcome of an idempotent call is not kept: {}; its duplicates will be refused "
					+ "[operation={}, key={}]", reason, call.operation(), key);
		}
		catch (RuntimeException ex) {
			reason = "outcome could not be encoded: " + ex;
			logger.error("The outcome of an idempotent call could not be encoded, so it is not kept; its "
					+ "duplicates will be refused [operation={}, key={}]", call.operation(), key, ex);
		}
		return codec.encode(Outcome.unavailable(reason));
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
