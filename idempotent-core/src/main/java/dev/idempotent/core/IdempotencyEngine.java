package dev.idempotent.core;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotency protocol: validates the key, claims it, and runs the call at most once, or answers
 * the duplicate. Owns every decision; the {@link IdempotencyStore} only stores.
 * <p>
 * Thread-safe. Calls may nest (an idempotent controller calling an idempotent service); each keeps
 * its own claim.
 */
public final class IdempotencyEngine {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyEngine.class);

	private static final Duration MIN_RETRY_AFTER = Duration.ofSeconds(1);

	private final IdempotencyStore store;

	private final IdempotencyKeys keys;

	private final Clock clock;

	private final ThreadLocal<ActiveCall> activeCall = new ThreadLocal<>();

	public IdempotencyEngine(IdempotencyStore store, IdempotencyKeys keys, Clock clock) {
		this.store = Objects.requireNonNull(store, "store");
		this.keys = Objects.requireNonNull(keys, "keys");
		this.clock = Objects.requireNonNull(clock, "clock");
	}

	/**
	 * Runs the invocation at most once for the call's key.
	 * @return the fresh result, or the replayed outcome of the first call
	 * @throws MissingIdempotencyKeyException if the call has no key (nothing stored)
	 * @throws InvalidIdempotencyKeyException if the key is malformed (nothing stored)
	 * @throws IdempotencyStorageUnavailableException if the store failed; the invocation did not run
	 * @throws IdempotencyKeyReusedException if the key was used for a different request
	 * @throws RequestInProgressException if a call with this key is still running
	 * @throws DuplicateRequestException if a call with this key completed and duplicates are rejected
	 * @throws Throwable whatever the invocation throws; its claim is released first, so a retry runs
	 */
	public <T> Execution<T> execute(IdempotentCall call, OutcomeCodec<T> codec, Invocation<T> invocation)
			throws Throwable {
		String key = this.keys.normalize(call.key());
		String storageKey = this.keys.storageKey(call.operation(), call.caller(), key);
		String owner = UUID.randomUUID().toString();
		ClaimResult claim = storage(() -> this.store.tryClaim(storageKey, owner, call.fingerprint(), call.lease()));
		if (!claim.isAcquired()) {
			return answerDuplicate(call, codec, claim.existing());
		}
		ActiveCall active = new ActiveCall(call, key, storageKey, owner, this.activeCall.get());
		this.activeCall.set(active);
		T result;
		try {
			result = invocation.invoke();
		}
		catch (Throwable ex) {
			// Every exception counts as a system failure: free the key so a retry runs.
			releaseQuietly(active);
			throw ex;
		}
		finally {
			restore(active);
		}
		if (active.releaseRequested) {
			releaseQuietly(active);
		}
		else {
			completeQuietly(active, codec, result);
		}
		return new Execution<>(result, false);
	}

	private <T> Execution<T> answerDuplicate(IdempotentCall call, OutcomeCodec<T> codec, IdempotencyRecord existing) {
		if (call.fingerprint() != null && existing.fingerprint() != null
				&& !call.fingerprint().equals(existing.fingerprint())) {
			throw new IdempotencyKeyReusedException();
		}
		if (!existing.isCompleted()) {
			throw new RequestInProgressException(retryAfter(existing));
		}
		if (call.onDuplicate() == DuplicatePolicy.REJECT) {
			throw new DuplicateRequestException();
		}
		String outcome = Objects.requireNonNull(existing.outcome(), "A completed record holds an outcome");
		return new Execution<>(codec.decode(outcome), true);
	}

	private Duration retryAfter(IdempotencyRecord existing) {
		if (existing.expiresAt() == null) {
			return MIN_RETRY_AFTER;
		}
		Duration remaining = Duration.between(this.clock.instant(), existing.expiresAt());
		// Whole seconds, rounded up: that is what a Retry-After header can say.
		long seconds = Math.max(1, (remaining.toMillis() + 999) / 1000);
		return Duration.ofSeconds(seconds);
	}

	private <T> void completeQuietly(ActiveCall active, OutcomeCodec<T> codec, @Nullable T result) {
		IdempotentCall call = active.call;
		try {
			String outcome = codec.encode(result);
			if (!this.store.complete(active.storageKey, active.owner, outcome, call.retention())) {
				logger.error("Idempotent call completed but its claim had already lapsed, so its outcome was not "
						+ "stored; a retry may run again. Raise the lease above the call's duration "
						+ "[operation={}, key={}, storageKey={}]", call.operation(), active.key, active.storageKey);
			}
		}
		catch (RuntimeException ex) {
			// The method ran: its caller gets the real result. The claim stays until its lease lapses.
			logger.error("Idempotent call completed but its outcome could not be stored; the key stays claimed "
					+ "until its lease expires [operation={}, key={}, storageKey={}]", call.operation(), active.key,
					active.storageKey, ex);
		}
	}

	private void releaseQuietly(ActiveCall active) {
		if (active.released) {
			return;
		}
		try {
			active.released = this.store.release(active.storageKey, active.owner);
		}
		catch (RuntimeException ex) {
			logger.warn("Could not release the idempotency claim; the key is blocked until its lease expires "
					+ "[operation={}, key={}, storageKey={}]", active.call.operation(), active.key, active.storageKey,
					ex);
		}
	}

	private void restore(ActiveCall active) {
		if (active.parent != null) {
			this.activeCall.set(active.parent);
		}
		else {
			this.activeCall.remove();
		}
	}

	/**
	 * Releases a key on behalf of business code. Inside a running idempotent call whose key this is,
	 * the call's own claim is released by owner, and the call will not be completed: a retry runs
	 * again. Any other key is deleted in the operation and caller scope of the running call.
	 * @param key the client key, as the request carried it
	 * @return whether a claim or record was removed
	 * @throws IllegalStateException if no idempotent call is running on this thread
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public boolean releaseFromCall(String key) {
		ActiveCall running = this.activeCall.get();
		if (running == null) {
			throw new IllegalStateException("No idempotent call is running on this thread: "
					+ "name the operation (and caller) to delete a key outside a call");
		}
		String normalized = this.keys.normalize(key);
		for (ActiveCall call = running; call != null; call = call.parent) {
			if (call.key.equals(normalized)) {
				call.releaseRequested = true;
				ActiveCall target = call;
				target.released = storage(() -> this.store.release(target.storageKey, target.owner));
				return target.released;
			}
		}
		return delete(running.call.operation(), running.call.caller(), key);
	}

	/** The innermost idempotent call running on this thread, if any. */
	public Optional<IdempotentCall> currentCall() {
		ActiveCall running = this.activeCall.get();
		return (running != null) ? Optional.of(running.call) : Optional.empty();
	}

	/**
	 * Deletes a record whatever its state: an operator's repair.
	 * @return whether a record was removed
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public boolean delete(String operation, @Nullable String caller, String key) {
		String storageKey = this.keys.storageKey(operation, caller, this.keys.normalize(key));
		return storage(() -> this.store.delete(storageKey));
	}

	/**
	 * Reads a record.
	 * @throws IdempotencyStorageUnavailableException if the store failed
	 */
	public Optional<IdempotencyRecord> find(String operation, @Nullable String caller, String key) {
		String storageKey = this.keys.storageKey(operation, caller, this.keys.normalize(key));
		return storage(() -> this.store.find(storageKey));
	}

	private <R> R storage(Supplier<R> action) {
		try {
			return action.get();
		}
		catch (RuntimeException ex) {
			throw new IdempotencyStorageUnavailableException(MIN_RETRY_AFTER, ex);
		}
	}

	/** The method an idempotent call guards. */
	@FunctionalInterface
	public interface Invocation<T> {

		@Nullable T invoke() throws Throwable;

	}

	private static final class ActiveCall {

		final IdempotentCall call;

		final String key;

		final String storageKey;

		final String owner;

		final @Nullable ActiveCall parent;

		boolean releaseRequested;

		boolean released;

		ActiveCall(IdempotentCall call, String key, String storageKey, String owner, @Nullable ActiveCall parent) {
			this.call = call;
			this.key = key;
			this.storageKey = storageKey;
			this.owner = owner;
			this.parent = parent;
		}

	}

}
