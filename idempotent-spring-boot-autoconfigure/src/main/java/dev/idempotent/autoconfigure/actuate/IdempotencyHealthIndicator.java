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
package dev.idempotent.autoconfigure.actuate;

import java.util.List;

import dev.idempotent.core.IdempotencyStorageUnavailableException;
import dev.idempotent.core.store.IdempotencyStore;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The health of the idempotency store, as {@code idempotency} under the health endpoint: {@code UP}
 * when the store answers a read, {@code DOWN} with the store's own error (a wrong password's
 * {@code WRONGPASS}, say) when it does not, since every idempotent request is then refused. A store
 * may add details of its own: the Redis store shows its memory policy and how many keys Redis evicted.
 */
public class IdempotencyHealthIndicator implements HealthIndicator {

	// A key no call ever claims: reading it costs one round trip and finds nothing.
	static final String PROBE_KEY = "idempotency-health-probe";

	private final IdempotencyStore store;

	private final List<Details> details;

	/**
	 * @param store the store to check
	 * @param details what the store adds to its health
	 */
	public IdempotencyHealthIndicator(IdempotencyStore store, List<Details> details) {
		this.store = store;
		this.details = List.copyOf(details);
	}

	@Override
	public Health health() {
		Health.Builder health;
		try {
			this.store.find(PROBE_KEY);
			health = Health.up();
		}
		catch (RuntimeException ex) {
			return Health.down()
				.withDetail("store", this.store.getClass().getSimpleName())
				.withDetail("error", IdempotencyStorageUnavailableException.describe(ex))
				.build();
		}
		health.withDetail("store", this.store.getClass().getSimpleName());
		for (Details store : this.details) {
			try {
				store.contribute(health);
			}
			catch (RuntimeException ex) {
				health.withDetail("detailsError", IdempotencyStorageUnavailableException.describe(ex));
			}
		}
		return health.build();
	}

	/** What a store adds to its health; it may also set the status. */
	@FunctionalInterface
	public interface Details {

		void contribute(Health.Builder health);

	}

}
