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
package com.example.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.IdempotencyStoreContractTest;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The in-memory store keeps the store contract, on a clock the test moves. */
class InMemoryIdempotencyStoreContractTest extends IdempotencyStoreContractTest {

	// Long enough that only a test that means to sweep on the store's thread sees a sweep.
	private static final Duration NO_SWEEP = Duration.ofHours(1);

	private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock());

	private final List<InMemoryIdempotencyStore> bounded = new ArrayList<>();

	@Override
	protected IdempotencyStore store() {
		return this.store;
	}

	@AfterEach
	void closeStores() {
		this.store.close();
		this.bounded.forEach(InMemoryIdempotencyStore::close);
	}

	private InMemoryIdempotencyStore store(int maxRecords, Duration sweepInterval) {
		InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock(), maxRecords, sweepInterval);
		this.bounded.add(store);
		return store;
	}

	@Test
	void aRecordExpiresExactlyAtItsDeadline() {
		this.store.tryClaim("k", "owner-1", null, shortLease());
		elapse(shortLease().minusMillis(1));
		assertThat(this.store.find("k")).isPresent();
		elapse(Duration.ofMillis(1));
		assertThat(this.store.find("k")).isEmpty();
	}

	@Test
	void aFullStoreRefusesANewRecordAndKeepsEveryLiveOne() {
		InMemoryIdempotencyStore store = store(3, NO_SWEEP);
		assertThat(store.tryClaim("running", "owner-1", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store.tryClaim("done", "owner-2", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store.complete("done", "owner-2", "outcome", RETENTION)).isTrue();
		assertThat(store.issueToken("token", RETENTION)).isTrue();

		assertThatIllegalStateException().isThrownBy(() -> store.tryClaim("new", "owner-3", null, LONG_LEASE))
			.withMessageContaining("store is full")
			.withMessageContaining("idempotent.memory.max-records");
		assertThatIllegalStateException().isThrownBy(() -> store.issueToken("new-token", RETENTION))
			.withMessageContaining("idempotent.memory.max-records");

		assertThat(store.size()).isEqualTo(3);
		assertThat(store.find("new")).isEmpty();
		assertThat(store.find("running")).get().extracting((record) -> record.owner()).isEqualTo("owner-1");
		assertThat(store.find("done")).get().extracting((record) -> record.outcome()).isEqualTo("outcome");
		assertThat(store.tryClaim("running", "owner-4", null, LONG_LEASE).existing().owner()).isEqualTo("owner-1");
		assertThat(store.tryClaimToken("token", "owner-5", null, LONG_LEASE).isAcquired())
			.as("consuming a token takes no new place")
			.isTrue();
	}

	@Test
	void aFullStoreAcceptsAgainOnceARecordExpired() {
		InMemoryIdempotencyStore store = store(2, NO_SWEEP);
		store.tryClaim("short", "owner-1", null, shortLease());
		store.tryClaim("long", "owner-2", null, LONG_LEASE);
		assertThatIllegalStateException().isThrownBy(() -> store.tryClaim("new", "owner-3", null, LONG_LEASE));

		elapse(shortLease());

		assertThat(store.tryClaim("new", "owner-3", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store.size()).as("the expired record made room").isEqualTo(2);
		assertThat(store.find("long")).isPresent();
		assertThat(store.find("new")).isPresent();
	}

	@Test
	void aFullStoreAcceptsAgainOnceARecordIsReleasedOrDeleted() {
		InMemoryIdempotencyStore store = store(2, NO_SWEEP);
		store.tryClaim("a", "owner-1", null, LONG_LEASE);
		store.tryClaim("b", "owner-2", null, LONG_LEASE);
		assertThatIllegalStateException().isThrownBy(() -> store.tryClaim("c", "owner-3", null, LONG_LEASE));

		assertThat(store.release("a", "owner-1")).isTrue();
		assertThat(store.tryClaim("c", "owner-3", null, LONG_LEASE).isAcquired()).isTrue();
		assertThatIllegalStateException().isThrownBy(() -> store.tryClaim("d", "owner-4", null, LONG_LEASE));

		assertThat(store.delete("b")).isTrue();
		assertThat(store.tryClaim("d", "owner-4", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store.find("c")).isPresent();
	}

	@Test
	void racingClaimsNeverOverfillTheStore() throws Exception {
		InMemoryIdempotencyStore store = store(10, NO_SWEEP);
		AtomicInteger refused = new AtomicInteger();
		List<Boolean> acquired = ConcurrentCallers.race(32, () -> {
			try {
				return store.tryClaim(UUID.randomUUID().toString(), "owner", null, LONG_LEASE).isAcquired();
			}
			catch (IllegalStateException ex) {
				refused.incrementAndGet();
				return false;
			}
		});
		assertThat(acquired).filteredOn(Boolean::booleanValue).hasSize(10);
		assertThat(refused).hasValue(22);
		assertThat(store.size()).isEqualTo(10);
	}

	@Test
	void expiredRecordsAreSweptOffTheCallersThread() throws InterruptedException {
		InMemoryIdempotencyStore store = store(1000, Duration.ofMillis(10));
		for (int i = 0; i < 100; i++) {
			store.tryClaim("old-" + i, "owner", null, shortLease());
		}
		store.tryClaim("live", "owner", null, LONG_LEASE);
		elapse(shortLease());
		// Nothing calls the store from here on: only its own thread can sweep.
		Poll.until("the expired records swept out", () -> store.size() == 1);
		assertThat(store.find("live")).isPresent();
	}

	@Test
	void aClosedStoreStillAnswersButNoLongerSweeps() {
		InMemoryIdempotencyStore store = store(1, Duration.ofMillis(1));
		store.close();
		store.tryClaim("short", "owner-1", null, shortLease());
		elapse(shortLease());
		assertThat(store.tryClaim("next", "owner-2", null, LONG_LEASE).isAcquired())
			.as("a full store still drops expired records before refusing")
			.isTrue();
	}

	@Test
	void fencesGrowAcrossClaimsOfOneKeyAndAcrossKeys() {
		long first = this.store.tryClaim("k", "owner-1", null, shortLease()).fence();
		assertThat(first).isPositive();
		assertThat(this.store.tryClaim("k", "owner-2", null, shortLease()).fence())
			.as("no fence for a claim not acquired")
			.isEqualTo(ClaimResult.NO_FENCE);
		this.store.release("k", "owner-1");
		long afterRelease = this.store.tryClaim("k", "owner-3", null, shortLease()).fence();
		long otherKey = this.store.tryClaim("other", "owner-4", null, LONG_LEASE).fence();
		elapse(shortLease());
		long afterLapse = this.store.tryClaim("k", "owner-5", null, LONG_LEASE).fence();
		this.store.issueToken("token", LONG_LEASE);
		long tokenClaim = this.store.tryClaimToken("token", "owner-6", null, LONG_LEASE).fence();
		this.store.releaseTokenClaim("token", "owner-6", LONG_LEASE);
		long tokenClaimAgain = this.store.tryClaimToken("token", "owner-7", null, LONG_LEASE).fence();
		assertThat(List.of(first, afterRelease, otherKey, afterLapse, tokenClaim, tokenClaimAgain))
			.isSorted()
			.doesNotHaveDuplicates();
	}

	@Test
	void racingClaimsOfManyKeysGetDistinctFences() throws Exception {
		List<Long> fences = ConcurrentCallers.race(32,
				() -> this.store.tryClaim(UUID.randomUUID().toString(), "owner", null, LONG_LEASE).fence());
		assertThat(fences).doesNotHaveDuplicates().allSatisfy((fence) -> assertThat(fence).isPositive());
	}

	@Test
	void aBoundBelowOneIsRefused() {
		assertThatIllegalArgumentException().isThrownBy(() -> new InMemoryIdempotencyStore(clock(), 0, NO_SWEEP))
			.withMessageContaining("maxRecords");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new InMemoryIdempotencyStore(clock(), 1, Duration.ZERO))
			.withMessageContaining("sweepInterval");
	}

}
