package dev.idempotent.core;

import java.time.Clock;
import java.time.Duration;

import dev.idempotent.testing.IdempotencyStoreContractTest;
import dev.idempotent.testing.ManualClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The in-memory store keeps the store contract, on a clock the test moves. */
class InMemoryIdempotencyStoreTest extends IdempotencyStoreContractTest {

	private final ManualClock clock = new ManualClock();

	private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(this.clock);

	@Override
	protected IdempotencyStore store() {
		return this.store;
	}

	@Override
	protected Clock clock() {
		return this.clock;
	}

	@Override
	protected Duration shortLease() {
		return Duration.ofSeconds(10);
	}

	@Override
	protected void elapse(Duration duration) {
		this.clock.advance(duration);
	}

	@Test
	void aRecordExpiresExactlyAtItsDeadline() {
		this.store.tryClaim("k", "owner-1", null, shortLease());
		this.clock.advance(shortLease().minusMillis(1));
		assertThat(this.store.find("k")).isPresent();
		this.clock.advance(Duration.ofMillis(1));
		assertThat(this.store.find("k")).isEmpty();
	}

	@Test
	void expiredRecordsAreSweptWithoutAThreadOfTheirOwn() {
		for (int i = 0; i < 100; i++) {
			this.store.tryClaim("old-" + i, "owner", null, shortLease());
		}
		this.clock.advance(shortLease());
		for (int i = 0; i < 5000; i++) {
			this.store.find("nothing");
			this.store.release("k-" + i, "owner");
		}
		assertThat(this.store.size()).as("expired records swept by later writes").isLessThan(100);
	}

}
