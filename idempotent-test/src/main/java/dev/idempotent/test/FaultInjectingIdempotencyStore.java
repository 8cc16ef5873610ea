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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

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

	private final AtomicInteger completionsToFail = new AtomicInteger();

	private final AtomicInteger completionsToTimeOut = new AtomicInteger();

	private volatile Predicate<String> heldExtensions = (key) -> false;

	private final CountDownLatch extensionsReleased = new CountDownLatch(1);

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

	/** The next {@code count} completions fail, then they work again. */
	public void failNextCompletions(int count) {
		this.completionsToFail.set(count);
	}

	/**
	 * The next {@code count} completions reach the store and are stored, but their callers are told
	 * they failed: a store that applied a write and answered after the client's timeout.
	 */
	public void timeOutNextCompletionsAfterStoring(int count) {
		this.completionsToTimeOut.set(count);
	}

	/**
	 * Holds every lease extension of a storage key the predicate accepts (a store that hangs for those
	 * calls) until {@link #releaseHeldExtensions()}; other keys' extensions go through.
	 */
	public void holdExtensions(Predicate<String> storageKeys) {
		this.heldExtensions = storageKeys;
	}

	/** Lets held extensions go on. */
	public void releaseHeldExtensions() {
		this.heldExtensions = (key) -> false;
		this.extensionsReleased.countDown();
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
		checkCompletion();
		boolean completed = this.delegate.complete(key, owner, outcome, retention);
		checkCompletionAnswered();
		return completed;
	}

	@Override
	public boolean completeFailure(String key, String owner, String outcome, Duration retention) {
		check();
		checkCompletion();
		boolean completed = this.delegate.completeFailure(key, owner, outcome, retention);
		checkCompletionAnswered();
		return completed;
	}

	private void checkCompletionAnswered() {
		if (this.completionsToTimeOut.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
			throw new IllegalStateException("command timed out");
		}
	}

	private void checkCompletion() {
		if (this.failingCompletions.get()
				|| this.completionsToFail.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
			throw new IllegalStateException("connection reset");
		}
	}

	@Override
	public boolean joinsTransaction(String key, String owner) {
		return this.delegate.joinsTransaction(key, owner);
	}

	@Override
	public boolean release(String key, String owner) {
		check();
		return this.delegate.release(key, owner);
	}

	@Override
	public long fence(String key, String owner) {
		check();
		return this.delegate.fence(key, owner);
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		check();
		if (this.heldExtensions.test(key)) {
			try {
				this.extensionsReleased.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("interrupted", ex);
			}
		}
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
