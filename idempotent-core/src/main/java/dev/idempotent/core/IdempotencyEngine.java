package dev.idempotent.core;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
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

	/** The default {@link Builder#maxOutcomeSize(int)}: 64 KiB. */
	public static final int DEFAULT_MAX_OUTCOME_SIZE = 64 * 1024;

	/** The default {@link Builder#tokenTtl(Duration)}: 10 minutes. */
	public static final Duration DEFAULT_TOKEN_TTL = Duration.ofMinutes(10);

	/** The logging context (MDC) entry holding the operation while a guarded method runs. */
	public static final String MDC_OPERATION = "idempotency.operation";

	/** The logging context (MDC) entry holding the client key while a guarded method runs. */
	public static final String MDC_KEY = "idempotency.key";

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyEngine.class);

	// A duplicate that awaits completion polls the store, backing off from the first pause to the last.
	private static final long FIRST_POLL_MILLIS = 10;

	private static final long LAST_POLL_MILLIS = 200;

	private final IdempotencyStore store;

	private final IdempotencyKeys keys;

	private final Clock clock;

	private final @Nullable LeaseRenewer leaseRenewer;

	private final OutcomeEncoder outcomes;

	private final IdempotencyTokens tokens;

	private final IdempotencyRecords records;

	private final IdempotencyListener listener;

	private final ThreadLocal<ActiveCall> activeCall = new ThreadLocal<>();

	/**
	 * An engine without lease renewal (a call must finish within its lease) that keeps outcomes up
	 * to {@value #DEFAULT_MAX_OUTCOME_SIZE} bytes. See {@link #builder(IdempotencyStore)} for more.
	 */
	public IdempotencyEngine(IdempotencyStore store, IdempotencyKeys keys, Clock clock) {
		this(store, keys, clock, null, DEFAULT_MAX_OUTCOME_SIZE, DEFAULT_TOKEN_TTL, IdempotencyListener.NONE);
	}

	private IdempotencyEngine(IdempotencyStore store, IdempotencyKeys keys, Clock clock,
			@Nullable LeaseRenewer leaseRenewer, int maxOutcomeSize, Duration tokenTtl,
			IdempotencyListener listener) {
		this.store = Objects.requireNonNull(store, "store");
		this.keys = Objects.requireNonNull(keys, "keys");
		this.clock = Objects.requireNonNull(clock, "clock");
		this.leaseRenewer = leaseRenewer;
		this.outcomes = new OutcomeEncoder(maxOutcomeSize);
		this.tokens = new IdempotencyTokens(store, keys, clock, tokenTtl);
		this.records = new IdempotencyRecords(store, keys);
		this.listener = Objects.requireNonNull(listener, "listener");
	}

	/** Starts building an engine on a store. */
	public static Builder builder(IdempotencyStore store) {
		return new Builder(store);
	}

	/**
	 * Runs the invocation at most once for the call's key. While it runs, the logging context (MDC)
	 * holds {@value #MDC_OPERATION} and {@value #MDC_KEY}, so its logs name the key a repair needs. The
	 * {@link IdempotencyListener} is told how the call was answered.
	 * @return the fresh result, or the replayed outcome of the first call; a replayed failure is in
	 * {@link Execution#failure()} ({@link Execution#getOrThrow()} throws it)
	 * @throws MissingIdempotencyKeyException if the call has no key (nothing stored)
	 * @throws InvalidIdempotencyKeyException if the key is malformed (nothing stored)
	 * @throws InvalidIdempotencyTokenException if the policy requires a token and the key is no live
	 * token issued to the caller for the operation (nothing changed)
	 * @throws IdempotencyStorageUnavailableException if the store failed; the invocation did not run
	 * @throws IdempotencyKeyReusedException if the key was used for a different request
	 * @throws RequestInProgressException if a call with this key is still running
	 * @throws DuplicateRequestException if a call with this key completed and duplicates are rejected
	 * @throws ReplayUnavailableException if a call with this key completed but its outcome was not kept
	 * @throws Throwable whatever the invocation throws; the claim is released first (a retry runs)
	 * unless the policy keeps the key for that exception (a duplicate gets it again)
	 */
	public <T> Execution<T> execute(IdempotencyCall call, OutcomeCodec<T> codec, Invocation<T> invocation)
			throws Throwable {
		String key;
		String storageKey;
		String owner = UUID.randomUUID().toString();
		try {
			key = this.keys.normalize(call.key());
			if (call.policy().tokenRequired() && call.scope() != null) {
				throw new IllegalStateException("Operation '" + call.operation() + "' requires a token and has a "
						+ "scope: a token names one call already, and is issued without a scope");
			}
			storageKey = this.keys.storageKey(call.operation(), call.caller(), call.scope(), key);
			ClaimResult claim = claim(call, storageKey, owner);
			if (claim.isNoLiveToken()) {
				throw new InvalidIdempotencyTokenException();
			}
			if (!claim.isAcquired()) {
				Execution<T> replay = answerDuplicate(call, key, codec, claim.existing());
				notifyListener(call, CallOutcome.REPLAYED);
				return replay;
			}
		}
		catch (IdempotencyException ex) {
			CallOutcome outcome = CallOutcome.of(ex);
			if (outcome != null) {
				notifyListener(call, outcome);
			}
			throw ex;
		}
		ActiveCall active = new ActiveCall(call, key, storageKey, owner, this.activeCall.get());
		this.activeCall.set(active);
		renewLease(active);
		T result;
		try {
			result = KeyInLogs.run(call.operation(), key, invocation);
		}
		catch (Throwable ex) {
			active.finish();
			boolean stored = true;
			if (!active.releaseRequested && call.policy().exceptions().keeps(ex)) {
				// A business failure: the answer is final, and a duplicate gets it again.
				stored = complete(active, codec, Outcome.thrown(ex));
			}
			else {
				releaseQuietly(active);
			}
			notifyListener(call, stored ? CallOutcome.EXECUTED : CallOutcome.COMPLETION_FAILED);
			throw ex;
		}
		finally {
			restore(active);
		}
		active.finish();
		boolean stored = true;
		if (active.releaseRequested) {
			releaseQuietly(active);
		}
		else {
			stored = complete(active, codec, Outcome.returned(result));
		}
		notifyListener(call, stored ? CallOutcome.EXECUTED : CallOutcome.COMPLETION_FAILED);
		return Execution.fresh(result);
	}

	private void notifyListener(IdempotencyCall call, CallOutcome outcome) {
		try {
			this.listener.onOutcome(call, outcome);
		}
		catch (RuntimeException ex) {
			// Metrics must not change the answer of a call that may already have run.
			logger.warn("An IdempotencyListener failed [operation={}, outcome={}]", call.operation(), outcome.value(),
					ex);
		}
	}

	// Claims the key; a duplicate of a running call may wait for it to finish (or to free the key).
	private ClaimResult claim(IdempotencyCall call, String storageKey, String owner) {
		Duration wait = call.policy().awaitCompletion();
		long deadline = System.nanoTime() + wait.toNanos();
		long pause = FIRST_POLL_MILLIS;
		while (true) {
			ClaimResult claim = Storage.call(() -> call.policy().tokenRequired()
					? this.store.tryClaimToken(storageKey, owner, call.fingerprint(), call.policy().lease())
					: this.store.tryClaim(storageKey, owner, call.fingerprint(), call.policy().lease()));
			if (claim.isAcquired() || claim.isNoLiveToken() || claim.existing().isCompleted()
					|| isReused(call, claim.existing())) {
				return claim;
			}
			long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
			if (remainingMillis <= 0) {
				return claim;
			}
			try {
				Thread.sleep(Math.min(pause, remainingMillis));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return claim;
			}
			pause = Math.min(pause * 2, LAST_POLL_MILLIS);
		}
	}

	private static boolean isReused(IdempotencyCall call, IdempotencyRecord existing) {
		return call.fingerprint() != null && existing.fingerprint() != null
				&& !call.fingerprint().equals(existing.fingerprint());
	}

	private <T> Execution<T> answerDuplicate(IdempotencyCall call, String key, OutcomeCodec<T> codec,
			IdempotencyRecord existing) {
		if (isReused(call, existing)) {
			throw new IdempotencyKeyReusedException();
		}
		if (!existing.isCompleted()) {
			throw new RequestInProgressException(retryAfter(existing));
		}
		if (call.policy().onDuplicate() == DuplicatePolicy.REJECT) {
			throw new DuplicateRequestException();
		}
		String stored = Objects.requireNonNull(existing.outcome(), "A completed record holds an outcome");
		Outcome<T> outcome;
		try {
			outcome = codec.decode(stored);
		}
		catch (RuntimeException ex) {
			logger.warn("The stored outcome of an idempotent call cannot be read back, so its duplicate is refused "
					+ "[operation={}, key={}, storageKey={}]", call.operation(), key, existing.key(), ex);
			throw new ReplayUnavailableException();
		}
		if (outcome instanceof Outcome.Unavailable<T> unavailable) {
			logger.debug("The outcome of an idempotent call was not kept ({}), so its duplicate is refused "
					+ "[operation={}, key={}]", unavailable.reason(), call.operation(), key);
			throw new ReplayUnavailableException();
		}
		return Execution.replayOf(outcome);
	}

	private Duration retryAfter(IdempotencyRecord existing) {
		if (existing.expiresAt() == null) {
			return Storage.MIN_RETRY_AFTER;
		}
		Duration remaining = Duration.between(this.clock.instant(), existing.expiresAt());
		// Whole seconds, rounded up: that is what a Retry-After header can say.
		long seconds = Math.max(1, (remaining.toMillis() + 999) / 1000);
		return Duration.ofSeconds(seconds);
	}

	// Renews the claim a third of the lease before it would lapse, so a call may outlive its lease.
	private void renewLease(ActiveCall active) {
		if (this.leaseRenewer != null) {
			Duration lease = active.call.policy().lease();
			active.renewal = this.leaseRenewer.schedule(() -> renew(active), lease.dividedBy(3));
		}
	}

	private void renew(ActiveCall active) {
		if (active.finished) {
			return;
		}
		try {
			if (!this.store.extend(active.storageKey, active.owner, active.call.policy().lease()) && !active.finished) {
				logger.error("An idempotent call lost its claim while running (the lease lapsed before it was "
						+ "renewed, or the key was deleted); a duplicate may run too [operation={}, key={}, "
						+ "storageKey={}]", active.call.operation(), active.key, active.storageKey);
				active.finish();
			}
		}
		catch (RuntimeException ex) {
			// The next renewal may get through before the lease lapses; say so once per call.
			if (!active.renewalFailed) {
				active.renewalFailed = true;
				logger.warn("Could not renew the lease of a running idempotent call; retrying "
						+ "[operation={}, key={}, storageKey={}]: {}", active.call.operation(), active.key,
						active.storageKey, ex.toString());
			}
		}
	}

	// Whether the outcome was stored; a failure is logged for repair, and the caller gets the result.
	private <T> boolean complete(ActiveCall active, OutcomeCodec<T> codec, Outcome<T> outcome) {
		IdempotencyCall call = active.call;
		String stored;
		try {
			stored = this.outcomes.encode(call, active.key, codec, outcome);
			if (!this.store.complete(active.storageKey, active.owner, stored, call.policy().retention())) {
				logger.error("Idempotent call completed but its claim had already lapsed, so its outcome was not "
						+ "stored; a retry may run again [operation={}, key={}, storageKey={}]", call.operation(),
						active.key, active.storageKey);
				return false;
			}
			return true;
		}
		catch (RuntimeException ex) {
			// The method ran: its caller gets the real result. The claim stays until its lease lapses (a
			// store bound to the caller's transaction rolls the transaction back instead).
			logger.error("Idempotent call completed but its outcome could not be stored; its claim lapses with "
					+ "its lease (or rolls back with the caller's transaction) and a retry may then run again "
					+ "[operation={}, key={}, storageKey={}]", call.operation(), active.key, active.storageKey, ex);
			return false;
		}
	}

	private void releaseQuietly(ActiveCall active) {
		if (active.released) {
			return;
		}
		try {
			active.released = release(active);
		}
		catch (RuntimeException ex) {
			logger.warn("Could not release the idempotency claim; the key is blocked until its lease expires "
					+ "[operation={}, key={}, storageKey={}]", active.call.operation(), active.key, active.storageKey,
					ex);
		}
	}

	// A released token claim leaves a live token behind, for a whole token time to live: the caller's
	// retry runs with the token it holds, however late in the token's life the failed call began.
	private boolean release(ActiveCall active) {
		if (active.call.policy().tokenRequired()) {
			return this.store.releaseTokenClaim(active.storageKey, active.owner, this.tokens.ttl());
		}
		return this.store.release(active.storageKey, active.owner);
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
	 * again. Any other key is deleted in the operation, caller and scope of the running call.
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
				target.released = Storage.call(() -> release(target));
				return target.released;
			}
		}
		IdempotencyCall call = running.call;
		return this.records.delete(call.operation(), call.caller(), call.scope(), key);
	}

	/** The innermost idempotent call running on this thread, if any. */
	public Optional<IdempotencyCall> currentCall() {
		ActiveCall running = this.activeCall.get();
		return (running != null) ? Optional.of(running.call) : Optional.empty();
	}

	/** Issues the one-time tokens this engine's token calls consume. */
	public IdempotencyTokens tokens() {
		return this.tokens;
	}

	/** Reads and deletes records: an operator's repair. */
	public IdempotencyRecords records() {
		return this.records;
	}

	/** The method an idempotent call guards. */
	@FunctionalInterface
	public interface Invocation<T> {

		@Nullable T invoke() throws Throwable;

	}

	/** Builds an {@link IdempotencyEngine}. */
	public static final class Builder {

		private final IdempotencyStore store;

		private IdempotencyKeys keys = new IdempotencyKeys("idempotency:", 255);

		private Clock clock = Clock.systemUTC();

		private @Nullable LeaseRenewer leaseRenewer;

		private int maxOutcomeSize = DEFAULT_MAX_OUTCOME_SIZE;

		private Duration tokenTtl = DEFAULT_TOKEN_TTL;

		private IdempotencyListener listener = IdempotencyListener.NONE;

		private Builder(IdempotencyStore store) {
			this.store = Objects.requireNonNull(store, "store");
		}

		/** Key validation and storage key construction; default prefix {@code idempotency:}, keys up to 255. */
		public Builder keys(IdempotencyKeys keys) {
			this.keys = Objects.requireNonNull(keys, "keys");
			return this;
		}

		/** The clock that dates records; default the system's UTC clock. */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/**
		 * Renews the leases of running calls every third of their lease, so a call may run longer than
		 * its lease; without it, a claim lapses after its lease however long the call runs.
		 */
		public Builder leaseRenewer(@Nullable LeaseRenewer leaseRenewer) {
			this.leaseRenewer = leaseRenewer;
			return this;
		}

		/**
		 * The largest encoded outcome kept, in UTF-8 bytes. A larger one is not stored: the call is
		 * completed without it, and its duplicates get {@link ReplayUnavailableException}.
		 */
		public Builder maxOutcomeSize(int maxOutcomeSize) {
			if (maxOutcomeSize < 1) {
				throw new IllegalArgumentException("maxOutcomeSize must be at least 1 byte, was " + maxOutcomeSize);
			}
			this.maxOutcomeSize = maxOutcomeSize;
			return this;
		}

		/**
		 * How long an issued one-time token stays live unless a call consumes it, and how long it lives
		 * again once a call that consumed it failed and released its claim; default 10 minutes.
		 */
		public Builder tokenTtl(Duration tokenTtl) {
			Objects.requireNonNull(tokenTtl, "tokenTtl");
			if (tokenTtl.isNegative() || tokenTtl.isZero()) {
				throw new IllegalArgumentException("tokenTtl must be positive, was " + tokenTtl);
			}
			this.tokenTtl = tokenTtl;
			return this;
		}

		/**
		 * Told how each call was answered (metrics, tracing); default {@link IdempotencyListener#NONE}.
		 */
		public Builder listener(IdempotencyListener listener) {
			this.listener = Objects.requireNonNull(listener, "listener");
			return this;
		}

		public IdempotencyEngine build() {
			return new IdempotencyEngine(this.store, this.keys, this.clock, this.leaseRenewer, this.maxOutcomeSize,
					this.tokenTtl, this.listener);
		}

	}

	private static final class ActiveCall {

		final IdempotencyCall call;

		final String key;

		final String storageKey;

		final String owner;

		final @Nullable ActiveCall parent;

		volatile @Nullable ScheduledFuture<?> renewal;

		volatile boolean finished;

		volatile boolean renewalFailed;

		boolean releaseRequested;

		boolean released;

		ActiveCall(IdempotencyCall call, String key, String storageKey, String owner, @Nullable ActiveCall parent) {
			this.call = call;
			this.key = key;
			this.storageKey = storageKey;
			this.owner = owner;
			this.parent = parent;
		}

		// Stops the lease renewal; the call's claim is completed or released next.
		void finish() {
			this.finished = true;
			ScheduledFuture<?> renewal = this.renewal;
			if (renewal != null) {
				renewal.cancel(false);
			}
		}

	}

}
