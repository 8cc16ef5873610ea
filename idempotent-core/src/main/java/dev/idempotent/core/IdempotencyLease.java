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

import dev.idempotent.core.store.ClaimResult;

/**
 * The claim a running idempotent call holds on its key, as business code may check it before a write
 * that must not happen twice. See {@link IdempotencyEngine#currentLease()}.
 * <p>
 * A claim is held for its lease and renewed while the call runs. A store that stalls longer than the
 * lease lets the claim lapse, and a duplicate may then claim the key and run beside this call; the
 * engine says so at ERROR and {@link #isHeld()} turns {@code false}. A check can only say what was true
 * a moment ago, so a write that must not race a later claim passes the {@link #fence()} along, and the
 * resource it writes to refuses a fence lower than the highest it has seen.
 */
public interface IdempotencyLease {

	/** The operation of the call. */
	String operation();

	/** The call's key, as normalized. */
	String key();

	/**
	 * Whether the call still holds its key, as far as the engine can tell: its last claim or renewal is
	 * younger than the lease, and no renewal found the claim gone.
	 */
	boolean isHeld();

	/**
	 * The fencing value of the claim: greater for every later claim of the same key, or
	 * {@link ClaimResult#NO_FENCE} when the store gives none.
	 * <p>
	 * A store may read it only when it is first asked for ({@link ClaimResult#acquiredFenceOnRequest()};
	 * the Redis store does): that first call then asks the store, a blocking round trip, and later calls
	 * answer the same value at once.
	 * @throws IllegalStateException if the fence is read on request and the store no longer holds this
	 * call's claim: a duplicate may have claimed the key since, so nothing must be written with a fence
	 * (the lease counts as lost, as {@link #isHeld()} then says)
	 * @throws IdempotencyStorageUnavailableException if the fence is read on request and the store failed
	 */
	long fence();

}
