package dev.idempotent.test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import org.jspecify.annotations.Nullable;

/**
 * A real store with switches that make its writes fail as a broken connection would: every write, or
 * only completions. Reads go through, so a test can look at what was stored. Counts the calls.
 */
public final class FaultInjectingIdempotencyStore implements IdempotencyStore {

	private final AtomicBoolean failing = new AtomicBoolean();

	private final AtomicBoolean failingCompletions = new AtomicBoolean();

	private final AtomicInteger calls = new AtomicInteger();

	private final AtomicInteger claims = new AtomicInteger();

	private final Semaphore extensions = new Semaphore(0);

	private final IdempotencyStore delegate;

	public FaultInjectingIdempotencyStore(IdempotencyStore delegate) {
		this.delegate = delegate;
	}

	/** Whether every write fails from now on. */
	public void failing(boolean failing) {
		this.failing.set(failing);
	}

	/** Whether completions fail from now on, while claims and releases still work. */
	public void failingCompletions(boolean failing) {
		this.failingCompletions.set(failing);
	}

	/** How many writes were attempted. */
	public int calls() {
		return this.calls.get();
	}

	/** How many claims were attempted. */
	public int claims() {
		return this.claims.get();
	}

	/** A permit for every lease extension done. */
	public Semaphore extensions() {
		return this.extensions;
	}

	private void check() {
		this.calls.incrementAndGet();
		if (this.failing.get()) {
			throw new IllegalStateException("connection refused");
		}
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		check();
		this.claims.incrementAndGet();
		return this.delegate.tryClaim(key, owner, fingerprint, lease);
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		check();
		if (this.failingCompletions.get()) {
			throw new IllegalStateException("connection reset");
		}
		return this.delegate.complete(key, owner, outcome, retention);
	}

	@Override
	public boolean release(String key, String owner) {
		check();
		return this.delegate.release(key, owner);
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		check();
		boolean extended = this.delegate.extend(key, owner, lease);
		this.extensions.release();
		return extended;
	}

	@Override
	public boolean delete(String key) {
		check();
		return this.delegate.delete(key);
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		return this.delegate.find(key);
	}

}
