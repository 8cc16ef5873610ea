package com.example.store;

import java.time.Duration;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.test.IdempotencyStoreContractTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The in-memory store keeps the store contract, on a clock the test moves. */
class InMemoryIdempotencyStoreContractTest extends IdempotencyStoreContractTest {

	private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock());

	@Override
	protected IdempotencyStore store() {
		return this.store;
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
	void expiredRecordsAreSweptWithoutAThreadOfTheirOwn() {
		for (int i = 0; i < 100; i++) {
			this.store.tryClaim("old-" + i, "owner", null, shortLease());
		}
		elapse(shortLease());
		for (int i = 0; i < 5000; i++) {
			this.store.find("nothing");
			this.store.release("k-" + i, "owner");
		}
		assertThat(this.store.size()).as("expired records swept by later writes").isLessThan(100);
	}

}
