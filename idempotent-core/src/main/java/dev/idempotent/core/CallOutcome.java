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

import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * How the library answered one idempotent call: what an {@link IdempotencyListener} is told, and the
 * {@code outcome} tag of the metrics.
 */
public enum CallOutcome {

	/**
	 * The method ran: it returned, threw a failure that was kept, or threw a system failure and the key
	 * was released (the error is the observation's, not the outcome's).
	 */
	EXECUTED,

	/** A duplicate of a completed call got its stored outcome again. */
	REPLAYED,

	/** A duplicate of a completed call was refused ({@link DuplicateRequestException}). */
	REJECTED,

	/** A duplicate arrived while the first call ran ({@link RequestInProgressException}). */
	IN_PROGRESS,

	/** The key was used for a different request ({@link IdempotencyKeyReusedException}). */
	KEY_REUSED,

	/**
	 * The call had no key, a malformed one, or (in token mode) a key that is no live token of the caller;
	 * nothing was stored.
	 */
	INVALID_KEY,

	/** The store failed; the method did not run ({@link IdempotencyStorageUnavailableException}). */
	STORAGE_UNAVAILABLE,

	/**
	 * A duplicate of a completed call whose outcome was not kept, or cannot be read back, was refused
	 * ({@link ReplayUnavailableException}): a stored outcome too large or not writable shows here.
	 */
	REPLAY_UNAVAILABLE,

	/**
	 * The method ran but its outcome could not be stored (the store failed, or the claim had lapsed):
	 * a retry may run it again. The ERROR log names the key for repair.
	 */
	COMPLETION_FAILED,

	/** A message consumer acknowledged a duplicate of a completed call without running the listener. */
	SKIPPED;

	private final String value = name().toLowerCase(Locale.ROOT);

	/** The outcome as a tag value: {@code executed}, {@code in_progress}, ... */
	public String value() {
		return this.value;
	}

	/**
	 * The outcome a library exception stands for, or {@code null} when the exception is not one of the
	 * library's answers (the guarded method's own failure, say).
	 */
	public static @Nullable CallOutcome of(@Nullable Throwable failure) {
		if (failure instanceof MissingIdempotencyKeyException || failure instanceof InvalidIdempotencyKeyException
				|| failure instanceof InvalidIdempotencyTokenException) {
			return INVALID_KEY;
		}
		if (failure instanceof IdempotencyKeyReusedException) {
			return KEY_REUSED;
		}
		if (failure instanceof RequestInProgressException) {
			return IN_PROGRESS;
		}
		if (failure instanceof DuplicateRequestException) {
			return REJECTED;
		}
		if (failure instanceof ReplayUnavailableException) {
			return REPLAY_UNAVAILABLE;
		}
		if (failure instanceof IdempotencyStorageUnavailableException) {
			return STORAGE_UNAVAILABLE;
		}
		return null;
	}

}
