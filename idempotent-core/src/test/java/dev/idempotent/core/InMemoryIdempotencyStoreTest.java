package dev.idempotent.core;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class InMemoryIdempotencyStoreTest {

	private static final Duration LEASE = Duration.ofSeconds(10);

	private final MutableClock clock = new MutableClock();

	private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(this.clock);

	@Test
	void claimReturnsTheHolderToOthers() {
		assertThat(this.store.tryClaim("k", "owner-1", "fp", LEASE).isAcquired()).isTrue();
		ClaimResult second = this.store.tryClaim("k", "owner-2", "fp", LEASE);
		assertThat(second.isAcquired()).isFalse();
		assertThat(second.existing().owner()).isEqualTo("owner-1");
		assertThat(second.existing().fingerprint()).isEqualTo("fp");
		assertThat(second.existing().expiresAt()).isEqualTo(this.clock.instant().plus(LEASE));
	}

	@Test
	void onlyTheOwnerCompletesReleasesOrExtends() {
		this.store.tryClaim("k", "owner-1", null, LEASE);
		assertThat(this.store.complete("k", "intruder", "x", Duration.ofHours(1))).isFalse();
		assertThat(this.store.release("k", "intruder")).isFalse();
		assertThat(this.store.extend("k", "intruder", LEASE)).isFalse();
		assertThat(this.store.find("k")).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.IN_PROGRESS));
		assertThat(this.store.complete("k", "owner-1", "x", Duration.ofHours(1))).isTrue();
		assertThat(this.store.release("k", "owner-1")).as("a completed record is not released").isFalse();
		assertThat(this.store.find("k")).hasValueSatisfying((r) -> assertThat(r.outcome()).isEqualTo("x"));
	}

	@Test
	void aLapsedOwnerCannotTouchTheNextClaim() {
		this.store.tryClaim("k", "owner-1", null, LEASE);
		this.clock.advance(LEASE);
		assertThat(this.store.tryClaim("k", "owner-2", null, LEASE).isAcquired()).isTrue();
		assertThat(this.store.complete("k", "owner-1", "late", Duration.ofHours(1))).isFalse();
		assertThat(this.store.release("k", "owner-1")).isFalse();
		assertThat(this.store.extend("k", "owner-1", LEASE)).isFalse();
		assertThat(this.store.find("k")).hasValueSatisfying((r) -> assertThat(r.owner()).isEqualTo("owner-2"));
	}

	@Test
	void extendPushesTheLeaseOut() {
		this.store.tryClaim("k", "owner-1", null, LEASE);
		this.clock.advance(Duration.ofSeconds(9));
		assertThat(this.store.extend("k", "owner-1", LEASE)).isTrue();
		this.clock.advance(Duration.ofSeconds(9));
		assertThat(this.store.find("k")).isPresent();
		this.clock.advance(Duration.ofSeconds(1));
		assertThat(this.store.find("k")).isEmpty();
	}

	@Test
	void deleteRemovesWhateverTheState() {
		this.store.tryClaim("k", "owner-1", null, LEASE);
		assertThat(this.store.delete("k")).isTrue();
		assertThat(this.store.delete("k")).isFalse();
		assertThat(this.store.tryClaim("k", "owner-2", null, LEASE).isAcquired()).isTrue();
	}

}
