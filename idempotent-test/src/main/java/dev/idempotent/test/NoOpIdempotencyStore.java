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
package dev.idempotent.test;

import java.time.Duration;
import java.util.Optional;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import org.jspecify.annotations.Nullable;

/**
 * A store that stores nothing: every claim is acquired and every write succeeds, and nothing is ever
 * found. With it, a call
 * through the proxy costs only what the library itself does (key and scope resolution, fingerprint,
 * storage key, encoding the outcome), which is how the benchmarks define the proxy's own CPU cost.
 */
public final class NoOpIdempotencyStore implements IdempotencyStore {

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return ClaimResult.acquired();
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		return true;
	}

	@Override
	public boolean release(String key, String owner) {
		return true;
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		return true;
	}

	@Override
	public boolean delete(String key) {
		return false;
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		return Optional.empty();
	}

}
