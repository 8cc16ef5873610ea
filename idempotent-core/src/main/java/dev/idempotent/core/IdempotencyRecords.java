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

import java.util.Optional;

import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import org.jspecify.annotations.Nullable;

/**
 * An operator's view of the records: read one, or delete one whatever its state to repair a stuck
 * key. A record is named as its call named it: operation, caller, scope and client key. Obtained
 * from {@link IdempotencyEngine#records()}. Thread-safe.
 */
public final class IdempotencyRecords {

	private final IdempotencyStore store;

	private final IdempotencyKeys keys;

	IdempotencyRecords(IdempotencyStore store, IdempotencyKeys keys) {
		this.store = store;
		this.keys = keys;
	}

	/**
	 * Deletes a record whatever its state: an operator's repair.
	 * @return whether a record was removed
	 * @throws InvalidIdempotencyKeyException if the key is malformed
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public boolean delete(String operation, @Nullable String caller, String key) {
		return delete(operation, caller, null, key);
	}

	/**
	 * Deletes a record of a scoped operation whatever its state: an operator's repair.
	 * @return whether a record was removed
	 * @throws InvalidIdempotencyKeyException if the key is malformed
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public boolean delete(String operation, @Nullable String caller, @Nullable String scope, String key) {
		String storageKey = storageKey(operation, caller, scope, key);
		return Storage.call(() -> this.store.delete(storageKey));
	}

	/**
	 * Reads a record.
	 * @throws InvalidIdempotencyKeyException if the key is malformed
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public Optional<IdempotencyRecord> find(String operation, @Nullable String caller, String key) {
		return find(operation, caller, null, key);
	}

	/**
	 * Reads a record of a scoped operation.
	 * @throws InvalidIdempotencyKeyException if the key is malformed
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public Optional<IdempotencyRecord> find(String operation, @Nullable String caller, @Nullable String scope,
			String key) {
		String storageKey = storageKey(operation, caller, scope, key);
		return Storage.call(() -> this.store.find(storageKey));
	}

	private String storageKey(String operation, @Nullable String caller, @Nullable String scope, String key) {
		return this.keys.storageKey(operation, caller, scope, this.keys.normalize(key));
	}

}
