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
package dev.idempotent.core.store;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * One stored record, as a store reads it back.
 *
 * @param key the storage key
 * @param state whether the call is running or finished
 * @param owner the random token of the claim that wrote the record
 * @param fingerprint the request fingerprint given at claim time, or {@code null}
 * @param createdAt when the record was claimed
 * @param expiresAt when the store will drop it (lease or retention), or {@code null} when unknown
 * @param outcome the encoded outcome of a {@link RecordState#COMPLETED} record, else {@code null}; a
 * completed record without one was completed when the store could not keep its outcome (out of
 * memory), and its duplicates are refused rather than run again
 */
public record IdempotencyRecord(String key, RecordState state, String owner, @Nullable String fingerprint,
		Instant createdAt, @Nullable Instant expiresAt, @Nullable String outcome) {

	public boolean isCompleted() {
		return this.state == RecordState.COMPLETED;
	}

}
