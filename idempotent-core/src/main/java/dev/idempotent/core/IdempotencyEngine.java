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
package dev.idempotent.core;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
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

	// A completion the store refused is tried again, backing off from the first pause to the last.
	private static final long FIRST_COMPLETION_RETRY_MILLIS = 50;

	private static final long LAST_COMPLETION_RETRY_MILLIS = 1000;

	// A renewal that failed is tried again this soon (or after a sixth of the lease, if shorter).
	private static final long RENEWAL_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

	private final IdempotencyStore store;

	private final IdempotencyKeys keys;

	private final Clock clock;

	private final @Nullable LeaseRenewer leaseRenewer;

	private final OutcomeEncoder outcomes;

	private final OutcomeEncryption encryption;

	private final IdempotencyTokens tokens;

	private final IdempotencyRecords records;

	private final IdempotencyListener listener;

	private final TransactionBoundary transactions;

	// Drawn when the engine is built: a first claim may run on an event loop, where drawing is blocking.
	private final OwnerTokens owners;

	private final ThreadLocal<ActiveCall> activeCall = new ThreadLocal<>();

	/**
	 * An engine without lease renewal (a call must finish within its lease) that keeps outcomes up
	 * to {@value #DEFAULT_MAX_OUTCOME_SIZE} bytes. See {@link #builder(IdempotencyStore)} for more.
	 */
	public IdempotencyEngine(IdempotencyStore store, IdempotencyKeys keys, Clock clock) {
		this(store, keys, clock, null, DEFAULT_MAX_OUTCOME_SIZE, DEFAULT_TOKEN_TTL, IdempotencyListener.NONE,
				TransactionBoundary.NONE, OutcomeRedactor.NONE, OutcomeEncryption.NONE);
	}

	private IdempotencyEngine(IdempotencyStore store, IdempotencyKeys keys, Clock clock,
			@Nullable LeaseRenewer leaseRenewer, int maxOutcomeSize, Duration tokenTtl,
			IdempotencyListener listener, TransactionBoundary transactions, OutcomeRedactor redactor,
			OutcomeEncryption encryption) {
		this.store = Objects.requireNonNull(store, "store");
		this.keys = Objects.requireNonNull(keys, "keys");
		this.clock = Objects.requireNonNull(clock, "clock");
		this.leaseRenewer = leaseRenewer;
		this.encryption = Objects.requireNonNull(encryption, "encryption");
		this.outcomes = new OutcomeEncoder(maxOutcomeSize, Objects.requireNonNull(redactor, "redactor"), encryption);
		this.tokens = new IdempotencyTokens(store, keys, clock, tokenTtl);
		this.records = new IdempotencyRecords(store, keys);
		this.listener = Objects.requireNonNull(listener, "listener");
		this.transactions = Objects.requireNonNull(transactions, "transactions");
		this.owners = new OwnerTokens();
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
		Started<T> started = start(call, codec);
		if (started.replay() != null) {
			return started.replay();
		}
		return run(Objects.requireNonNull(started.active()), codec, invocation);
	}

	// Runs the method under the claim, and completes or releases the claim unless a future now holds it.
	private <T> Execution<T> run(ActiveCall active, OutcomeCodec<T> codec, Invocation<T> invocation) throws Throwable {
		IdempotencyCall call = active.call;
		// What this thread ran before: the call's parent when it runs where it was claimed, nothing when a
		// store's answer brought it to another thread.
		ActiveCall previous = this.activeCall.get();
		this.activeCall.set(active);
		renewLease(active);
		T result;
		try {
			result = KeyInLogs.run(call.operation(), active.key, invocation);
		}
		catch (Throwable ex) {
			restore(previous);
			Outcome<T> failure = Outcome.thrown(ex);
			// A kept business failure is the final answer, and a duplicate gets it again.
			boolean kept = call.policy().exceptions().keeps(ex);
			if (active.releaseRequested) {
				finish(active, codec, Ending.RELEASE, failure);
			}
			else if (!finishAfterTransaction(active, codec, failure, kept)) {
				boolean stored = finish(active, codec, kept ? Ending.KEEP_FAILURE : Ending.RELEASE, failure);
				notifyListener(call, stored ? CallOutcome.EXECUTED : CallOutcome.COMPLETION_FAILED);
				throw ex;
			}
			notifyListener(call, CallOutcome.EXECUTED);
			throw ex;
		}
		restore(previous);
		if (active.pending) {
			// A future holds the claim now, and completes or releases it.
			notifyListener(call, CallOutcome.EXECUTED);
			return Execution.fresh(result);
		}
		Outcome<T> returned = Outcome.returned(result);
		if (active.releaseRequested) {
			finish(active, codec, Ending.RELEASE, returned);
		}
		else if (!finishAfterTransaction(active, codec, returned, false)) {
			boolean stored = finish(active, codec, Ending.COMPLETE, returned);
			notifyListener(call, stored ? CallOutcome.EXECUTED : CallOutcome.COMPLETION_FAILED);
			return Execution.fresh(result);
		}
		notifyListener(call, CallOutcome.EXECUTED);
		return Execution.fresh(result);
	}

	/**
	 * Runs a method that returns a future at most once for the call's key: the key is claimed, and the
	 * method called, on the calling thread; the claim is completed or released when the method's future
	 * completes, on the thread that completes it, and its lease is renewed until then. The future handed
	 * back completes once the outcome is stored (or given up on), with the method's own value or failure
	 * ({@link CompletionException} unwrapped). Cancelling it does not reach the method's future: its
	 * outcome is still stored when it completes. A method future that is itself cancelled completes the
	 * claim without an outcome, since the work may have run: its duplicates get
	 * {@link ReplayUnavailableException}, and it never runs again.
	 * <p>
	 * What is refused before the method runs is thrown at once, as by {@link #execute}; so is what the
	 * method itself throws rather than returning a future. Completion does not wait for a caller's
	 * transaction, and a failed completion is retried only by the {@link LeaseRenewer}, so the thread
	 * that completes the future is held for one store call at most. The future handed back completes on
	 * that thread too, whatever the store, so that what the caller chains on it never runs on a store
	 * client's I/O thread.
	 * @return the future for the caller: a fresh one, or an already completed replay of the first call's
	 * outcome ({@link Execution#replayed()}); never a {@linkplain Execution#failure() failure}
	 * @throws IdempotencyException as {@link #execute} does, before the method runs
	 * @throws Throwable what the method throws instead of returning a future, handled as by {@link #execute}
	 */
	public <T> Execution<CompletableFuture<T>> executeAsync(IdempotencyCall call, OutcomeCodec<T> codec,
			Invocation<? extends CompletionStage<T>> invocation) throws Throwable {
		return proceed(start(call, codec), codec, invocation, Runnable::run, false);
	}

	/**
	 * Runs a method that returns a future, as {@link #executeAsync(IdempotencyCall, OutcomeCodec, Invocation)}
	 * does, but completes or releases its claim on the given executor rather than on the thread that
	 * completes the method's future: a reactive caller whose future completes on an event loop keeps
	 * the store's blocking call off it. The future handed back completes on that executor too. A store
	 * that {@linkplain IdempotencyStore#writesWithoutBlocking() writes without blocking} needs no such
	 * thread: the executor is then not used, no thread waits for the store's answer, and the future
	 * handed back completes where that answer arrives (its client's I/O thread, say), as a reactive
	 * store's publisher would: chain nothing that blocks on it without moving to another thread.
	 * @param completions runs the store call that ends the claim once the method's future completed, with
	 * a store that blocks
	 */
	public <T> Execution<CompletableFuture<T>> executeAsync(IdempotencyCall call, OutcomeCodec<T> codec,
			Invocation<? extends CompletionStage<T>> invocation, Executor completions) throws Throwable {
		Objects.requireNonNull(completions, "completions");
		return proceed(start(call, codec), codec, invocation, completions, true);
	}

	// Answers a duplicate with a completed future, or runs the method and keeps its claim until its future
	// completes; with withoutBlocking, by the store's non-blocking writes when it has them.
	private <T> Execution<CompletableFuture<T>> proceed(Started<T> started, OutcomeCodec<T> codec,
			Invocation<? extends CompletionStage<T>> invocation, Executor completions, boolean withoutBlocking)
			throws Throwable {
		Execution<T> replay = started.replay();
		if (replay != null) {
			CompletableFuture<T> answer = (replay.failure() != null) ? CompletableFuture.failedFuture(replay.failure())
					: CompletableFuture.completedFuture(replay.value());
			return new Execution<>(answer, null, true);
		}
		ActiveCall active = Objects.requireNonNull(started.active());
		CompletableFuture<T> answer = new CompletableFuture<>();
		run(active, codec, () -> {
			CompletionStage<T> stage = invocation.invoke();
			if (stage == null) {
				return null;
			}
			// The method ran and handed its work on: its claim is kept past the call, until the future completes.
			active.pending = true;
			stage.whenComplete((value, failure) -> {
				Throwable cause = unwrap(failure);
				if (withoutBlocking && this.store.writesWithoutBlocking()) {
					// No thread waits for the store: the answer goes on where the store's reply arrives.
					finishFutureWithoutBlocking(active, codec, value, cause)
						.whenComplete((stored, ignored) -> answer(answer, value, cause));
					return;
				}
				executeOrRun(completions, () -> {
					try {
						finishFuture(active, codec, value, cause);
					}
					catch (RuntimeException ex) {
						completionFailed(active, ex);
					}
					finally {
						answer(answer, value, cause);
					}
				});
			});
			return null;
		});
		if (!active.pending) {
			// The method returned null rather than a future: that is its answer, stored as such.
			return new Execution<>(null, null, false);
		}
		return Execution.fresh(answer);
	}

	private static @Nullable Throwable unwrap(@Nullable Throwable failure) {
		return (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause() : failure;
	}

	private static <T> void answer(CompletableFuture<T> answer, @Nullable T value, @Nullable Throwable failure) {
		if (failure != null) {
			answer.completeExceptionally(failure);
		}
		else {
			answer.complete(value);
		}
	}

	private void completionFailed(ActiveCall active, Throwable ex) {
		logger.error("Could not complete the claim of an idempotent call whose future completed; it lapses with its "
				+ "lease [operation={}, key={}, storageKey={}]", active.call.operation(), active.key, active.storageKey,
				ex);
		notifyCompletionFailed(active.call);
	}

	// An executor that refuses the completion (shut down, saturated) must not leave the caller's future hanging.
	private static void executeOrRun(Executor executor, Runnable task) {
		try {
			executor.execute(task);
		}
		catch (RejectedExecutionException ex) {
			task.run();
		}
	}

	// The claim of a method's future, once it completed: no transaction to wait for, no retries here.
	private <T> void finishFuture(ActiveCall active, OutcomeCodec<T> codec, @Nullable T value,
			@Nullable Throwable failure) {
		Ended<T> ended = ended(active, value, failure);
		if (!finish(active, codec, ended.ending(), ended.outcome(), false)) {
			notifyCompletionFailed(active.call);
		}
	}

	// As finishFuture, with a store that writes without blocking: completes once the store answered.
	private <T> CompletionStage<Boolean> finishFutureWithoutBlocking(ActiveCall active, OutcomeCodec<T> codec,
			@Nullable T value, @Nullable Throwable failure) {
		CompletionStage<Boolean> finished;
		try {
			Ended<T> ended = ended(active, value, failure);
			finished = finishWithoutBlocking(active, codec, ended.ending(), ended.outcome());
		}
		catch (RuntimeException ex) {
			active.end(this.leaseRenewer);
			completionFailed(active, ex);
			return CompletableFuture.completedFuture(false);
		}
		return finished.handle((stored, ex) -> {
			if (ex != null) {
				completionFailed(active, unwrap(ex));
				return false;
			}
			if (!stored) {
				notifyCompletionFailed(active.call);
			}
			return stored;
		});
	}

	// How the claim of a method's future ends, once the future completed.
	private static <T> Ended<T> ended(ActiveCall active, @Nullable T value, @Nullable Throwable failure) {
		if (active.releaseRequested) {
			return new Ended<>(Ending.RELEASE, Outcome.returned(value));
		}
		if (failure instanceof CancellationException) {
			logger.warn("The future of an idempotent call was cancelled; the work may have run, so the call is completed "
					+ "without its outcome: a duplicate is refused, never run again [operation={}, key={}]",
					active.call.operation(), active.key);
			return new Ended<>(Ending.COMPLETE, Outcome.unavailable("the future was cancelled"));
		}
		if (failure != null) {
			boolean kept = active.call.policy().exceptions().keeps(failure);
			return new Ended<>(kept ? Ending.KEEP_FAILURE : Ending.RELEASE, Outcome.thrown(failure));
		}
		return new Ended<>(Ending.COMPLETE, Outcome.returned(value));
	}

	private record Ended<T>(Ending ending, Outcome<T> outcome) {
	}

	// Validates the key and claims it: the duplicate's answer, or the call that now holds the claim.
	private <T> Started<T> start(IdempotencyCall call, OutcomeCodec<T> codec) {
		try {
			Prepared prepared = prepare(call);
			return decide(call, codec, prepared,
					claim(call, prepared.storageKey(), prepared.fingerprint(), prepared.owner()));
		}
		catch (IdempotencyException ex) {
			notifyRefusal(call, ex);
			throw ex;
		}
	}

	// What a claim needs, read and validated before the store is touched.
	private Prepared prepare(IdempotencyCall call) {
		String owner = this.owners.next();
		String key = this.keys.normalize(call.key());
		if (call.policy().tokenRequired() && call.scope() != null) {
			throw new IllegalStateException("Operation '" + call.operation() + "' requires a token and has a "
					+ "scope: a token names one call already, and is issued without a scope");
		}
		String storageKey = this.keys.storageKey(call.operation(), call.caller(), call.scope(), key);
		return new Prepared(key, storageKey, this.keys.storedFingerprint(call.fingerprint()), owner,
				this.activeCall.get());
	}

	// The claim's answer: the duplicate's answer, or the call that now holds the claim.
	private <T> Started<T> decide(IdempotencyCall call, OutcomeCodec<T> codec, Prepared prepared, Claimed claimed) {
		ClaimResult claim = claimed.result();
		if (claim.isNoLiveToken()) {
			throw new InvalidIdempotencyTokenException();
		}
		if (!claim.isAcquired()) {
			Execution<T> replay = answerDuplicate(call, prepared.key(), prepared.storageKey(), prepared.fingerprint(),
					codec, claim.existing());
			notifyListener(call, CallOutcome.REPLAYED);
			return new Started<>(replay, null);
		}
		ActiveCall active = new ActiveCall(call, prepared.key(), prepared.storageKey(), prepared.owner(), claim,
				claimed.sentNanos(), prepared.outer());
		return new Started<>(null, active);
	}

	private void notifyRefusal(IdempotencyCall call, IdempotencyException ex) {
		CallOutcome outcome = CallOutcome.of(ex);
		if (outcome != null) {
			notifyListener(call, outcome);
		}
	}

	/**
	 * Whether {@link #executeAsyncClaiming} can run calls: the store claims without blocking. A duplicate
	 * of a running call that waits for it ({@code awaitCompletion}) polls the store without blocking too,
	 * its next claim scheduled rather than slept for.
	 */
	public boolean claimsWithoutBlocking() {
		return this.store.claimsWithoutBlocking();
	}

	/**
	 * Runs a method that returns a future, as
	 * {@link #executeAsync(IdempotencyCall, OutcomeCodec, Invocation, Executor)} does, but claims the key
	 * without blocking the calling thread: the method is called, or the duplicate answered, on the
	 * thread that completes the store's answer (its client's I/O thread, say). Only when
	 * {@link #claimsWithoutBlocking()}.
	 * @return the execution once the key was claimed and the method called, or the duplicate answered;
	 * failed with what {@code executeAsync} would throw (a {@link CompletionException} around it)
	 * @throws IllegalStateException if the store cannot claim without blocking
	 */
	public <T> CompletionStage<Execution<CompletableFuture<T>>> executeAsyncClaiming(IdempotencyCall call,
			OutcomeCodec<T> codec, Invocation<? extends CompletionStage<T>> invocation, Executor completions) {
		if (!claimsWithoutBlocking()) {
			throw new IllegalStateException("The store " + this.store.getClass().getName() + " cannot claim operation '"
					+ call.operation() + "' without blocking");
		}
		Prepared prepared;
		try {
			prepared = prepare(call);
		}
		catch (IdempotencyException ex) {
			notifyRefusal(call, ex);
			return CompletableFuture.failedFuture(ex);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		long deadline = System.nanoTime() + call.policy().awaitCompletion().toNanos();
		return claimAsync(call, prepared, deadline, FIRST_POLL_MILLIS).handle((claimed, failure) -> {
			Started<T> started;
			try {
				if (failure != null) {
					Throwable cause = Objects.requireNonNull(unwrap(failure));
					if (cause instanceof UnsupportedOperationException unsupported) {
						throw unsupported;
					}
					// Fail closed, as a blocking claim does: the method never runs.
					throw new IdempotencyStorageUnavailableException(Storage.MIN_RETRY_AFTER, cause);
				}
				started = decide(call, codec, prepared, claimed);
			}
			catch (IdempotencyException ex) {
				notifyRefusal(call, ex);
				throw new CompletionException(ex);
			}
			try {
				return proceed(started, codec, invocation, completions, true);
			}
			catch (Throwable ex) {
				throw new CompletionException(ex);
			}
		});
	}

	// Claims the key as claim() does, without blocking: a duplicate of a running call that may wait polls
	// again after a pause that doubles, scheduled rather than slept for.
	private CompletionStage<Claimed> claimAsync(IdempotencyCall call, Prepared prepared, long deadline, long pause) {
		long sent = System.nanoTime();
		Duration lease = call.policy().lease();
		CompletionStage<ClaimResult> claim;
		try {
			claim = call.policy().tokenRequired()
					? this.store.tryClaimTokenAsync(prepared.storageKey(), prepared.owner(), prepared.fingerprint(), lease)
					: this.store.tryClaimAsync(prepared.storageKey(), prepared.owner(), prepared.fingerprint(), lease);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
		return claim.thenCompose((result) -> {
			Claimed claimed = new Claimed(result, sent);
			if (result.isAcquired() || result.isNoLiveToken() || result.existing().isCompleted()
					|| isReused(prepared.fingerprint(), result.existing())) {
				return CompletableFuture.completedFuture(claimed);
			}
			long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
			if (remainingMillis <= 0) {
				return CompletableFuture.completedFuture(claimed);
			}
			Executor later = CompletableFuture.delayedExecutor(Math.min(pause, remainingMillis), TimeUnit.MILLISECONDS);
			return CompletableFuture.supplyAsync(() -> prepared, later)
				.thenCompose((again) -> claimAsync(call, again, deadline, Math.min(pause * 2, LAST_POLL_MILLIS)));
		});
	}

	/**
	 * When the call ran in a transaction that its claim is not part of, arranges for the claim to be
	 * completed or released once the transaction has ended; its lease is renewed until then.
	 * @return whether it did; {@code false}: finish the call now
	 */
	private <T> boolean finishAfterTransaction(ActiveCall active, OutcomeCodec<T> codec, Outcome<T> outcome,
			boolean keptFailure) {
		if (joinsTransaction(active)) {
			return false;
		}
		return this.transactions.afterEnd((end) -> {
			Ending ending = afterTransaction(active, outcome, keptFailure, end);
			Outcome<T> stored = (end == TransactionBoundary.TransactionEnd.UNKNOWN && ending == Ending.COMPLETE)
					? Outcome.unavailable("the transaction of the call ended in an unknown state") : outcome;
			if (!finish(active, codec, ending, stored)) {
				notifyCompletionFailed(active.call);
			}
		});
	}

	private static Ending afterTransaction(ActiveCall active, Outcome<?> outcome, boolean keptFailure,
			TransactionBoundary.TransactionEnd end) {
		IdempotencyCall call = active.call;
		if (keptFailure) {
			return Ending.KEEP_FAILURE;
		}
		if (end == TransactionBoundary.TransactionEnd.ROLLED_BACK) {
			// Nothing the call did is stored: a retry must be able to run it.
			logger.debug("The transaction of an idempotent call rolled back, so its claim is released "
					+ "[operation={}, key={}]", call.operation(), active.key);
			return Ending.RELEASE;
		}
		if (outcome instanceof Outcome.Returned) {
			if (end == TransactionBoundary.TransactionEnd.UNKNOWN) {
				logger.error("The transaction of an idempotent call ended in an unknown state, so the call is "
						+ "completed without its outcome: a duplicate is refused, never run again or told it "
						+ "succeeded [operation={}, key={}, storageKey={}]", call.operation(), active.key,
						active.storageKey);
			}
			return Ending.COMPLETE;
		}
		// A system failure whose transaction committed (or may have): its work may be stored, so a retry
		// must not run it again. The duplicate gets the same failure.
		logger.warn("An idempotent call failed with an exception that releases its key, but its transaction {}, "
				+ "so the key is kept and a duplicate gets the same failure [operation={}, key={}]",
				(end == TransactionBoundary.TransactionEnd.COMMITTED) ? "committed" : "may have committed",
				call.operation(), active.key);
		return Ending.KEEP_FAILURE;
	}

	private boolean joinsTransaction(ActiveCall active) {
		try {
			return this.store.joinsTransaction(active.storageKey, active.owner);
		}
		catch (RuntimeException ex) {
			logger.warn("An IdempotencyStore failed to say whether it joins the transaction; assuming it does not "
					+ "[operation={}, key={}]", active.call.operation(), active.key, ex);
			return false;
		}
	}

	private void notifyCompletionFailed(IdempotencyCall call) {
		try {
			this.listener.onCompletionFailed(call);
		}
		catch (RuntimeException ex) {
			logger.warn("An IdempotencyListener failed [operation={}, event=completion_failed]", call.operation(),
					ex);
		}
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
	private Claimed claim(IdempotencyCall call, String storageKey, @Nullable String fingerprint, String owner) {
		Duration wait = call.policy().awaitCompletion();
		long deadline = System.nanoTime() + wait.toNanos();
		long pause = FIRST_POLL_MILLIS;
		while (true) {
			long sent = System.nanoTime();
			ClaimResult claim = Storage.call(() -> call.policy().tokenRequired()
					? this.store.tryClaimToken(storageKey, owner, fingerprint, call.policy().lease())
					: this.store.tryClaim(storageKey, owner, fingerprint, call.policy().lease()));
			if (claim.isAcquired() || claim.isNoLiveToken() || claim.existing().isCompleted()
					|| isReused(fingerprint, claim.existing())) {
				return new Claimed(claim, sent);
			}
			long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
			if (remainingMillis <= 0) {
				return new Claimed(claim, sent);
			}
			try {
				Thread.sleep(Math.min(pause, remainingMillis));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return new Claimed(claim, sent);
			}
			pause = Math.min(pause * 2, LAST_POLL_MILLIS);
		}
	}

	private static boolean isReused(@Nullable String fingerprint, IdempotencyRecord existing) {
		return fingerprint != null && existing.fingerprint() != null && !fingerprint.equals(existing.fingerprint());
	}

	private <T> Execution<T> answerDuplicate(IdempotencyCall call, String key, String storageKey,
			@Nullable String fingerprint, OutcomeCodec<T> codec, IdempotencyRecord existing) {
		if (isReused(fingerprint, existing)) {
			throw new IdempotencyKeyReusedException();
		}
		if (!existing.isCompleted()) {
			throw new RequestInProgressException(retryAfter(existing));
		}
		if (call.policy().onDuplicate() == DuplicatePolicy.REJECT) {
			throw new DuplicateRequestException();
		}
		String stored = existing.outcome();
		if (stored == null) {
			logger.debug("An idempotent call was completed without its outcome (the store could not keep it), so its "
					+ "duplicate is refused [operation={}, key={}]", call.operation(), key);
			throw new ReplayUnavailableException();
		}
		String encoded = decrypt(call, key, storageKey, stored);
		Outcome<T> outcome;
		try {
			outcome = codec.decode(encoded);
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

	// A stored outcome that cannot be decrypted for good refuses the duplicate; a passing failure is an outage.
	private String decrypt(IdempotencyCall call, String key, String storageKey, String stored) {
		try {
			return this.encryption.decrypt(storageKey, stored);
		}
		catch (OutcomeDecryptionException ex) {
			logger.error("The stored outcome of an idempotent call cannot be decrypted ({}{}), so its duplicate is "
					+ "refused and the call is not run again [operation={}, key={}, storageKey={}]", ex.getReason(),
					(ex.getKeyId() != null) ? ", key id " + ex.getKeyId() : "", call.operation(), key, storageKey,
					ex);
			throw ex;
		}
		catch (RuntimeException ex) {
			throw new IdempotencyStorageUnavailableException(Storage.MIN_RETRY_AFTER, ex);
		}
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
			active.renewed = this.leaseRenewer.add(active);
		}
	}

	// Whether the claim was completed or released as the ending says (or is being completed in the
	// background); a failure is logged for repair, and the caller gets the call's own result either way.
	private <T> boolean finish(ActiveCall active, OutcomeCodec<T> codec, Ending ending, Outcome<T> outcome) {
		return finish(active, codec, ending, outcome, true);
	}

	// Without mayWait, a failed completion is retried only in the background (by the lease renewer).
	private <T> boolean finish(ActiveCall active, OutcomeCodec<T> codec, Ending ending, Outcome<T> outcome,
			boolean mayWait) {
		active.finishing = true;
		try {
			if (ending == Ending.RELEASE) {
				releaseQuietly(active);
				return true;
			}
			String stored = this.outcomes.encode(active.call, active.key, active.storageKey, codec, outcome);
			boolean joined = joinsTransaction(active);
			return completeWhileHeld(active, !joined, mayWait, () -> storeOutcome(active, ending, stored));
		}
		finally {
			if (active.completion == null) {
				active.end(this.leaseRenewer);
			}
		}
	}

	/**
	 * Like {@link #finish} without mayWait, with a store that writes without blocking: no thread waits for
	 * the store's answer. A first write that fails is retried in the background, as {@link #completeWhileHeld}
	 * retries it: the later attempts then run on the lease renewer's threads, each bounded by the store's
	 * timeout.
	 * @return completes with whether the claim was completed or released as the ending says (or is being
	 * completed in the background); never fails
	 */
	private <T> CompletionStage<Boolean> finishWithoutBlocking(ActiveCall active, OutcomeCodec<T> codec, Ending ending,
			Outcome<T> outcome) {
		active.finishing = true;
		if (ending == Ending.RELEASE) {
			if (active.released) {
				active.end(this.leaseRenewer);
				return CompletableFuture.completedFuture(true);
			}
			return releaseWithoutBlocking(active).handle((released, failure) -> {
				if (failure != null) {
					logger.warn("Could not release the idempotency claim; the key is blocked until its lease expires "
							+ "[operation={}, key={}, storageKey={}]", active.call.operation(), active.key,
							active.storageKey, unwrap(failure));
				}
				else {
					active.released = released;
				}
				active.end(this.leaseRenewer);
				return true;
			});
		}
		IdempotencyCall call = active.call;
		long giveUpAt = System.nanoTime() + active.leaseNanos;
		CompletionStage<Boolean> write;
		String stored;
		boolean retry;
		try {
			stored = this.outcomes.encode(call, active.key, active.storageKey, codec, outcome);
			retry = !joinsTransaction(active);
			write = (ending == Ending.KEEP_FAILURE)
					? this.store.completeFailureAsync(active.storageKey, active.owner, stored, call.policy().retention())
					: this.store.completeAsync(active.storageKey, active.owner, stored, call.policy().retention());
		}
		catch (RuntimeException ex) {
			active.end(this.leaseRenewer);
			throw ex;
		}
		return write.handle((completed, failure) -> {
			if (failure == null) {
				try {
					return stored(active, () -> completed, 1);
				}
				finally {
					active.end(this.leaseRenewer);
				}
			}
			Throwable cause = unwrap(failure);
			long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_COMPLETION_RETRY_MILLIS);
			if (retry && this.leaseRenewer != null && active.renewed && !givesUp(active, next, giveUpAt)) {
				logger.warn("Could not store the outcome of an idempotent call; retrying in the background while its "
						+ "lease holds [operation={}, key={}, storageKey={}]: {}", call.operation(), active.key,
						active.storageKey, String.valueOf(cause));
				active.completion = new PendingCompletion(() -> storeOutcome(active, ending, stored), giveUpAt, next,
						Math.min(FIRST_COMPLETION_RETRY_MILLIS * 2, LAST_COMPLETION_RETRY_MILLIS));
				return true;
			}
			logGaveUp(active, 1, cause);
			active.end(this.leaseRenewer);
			return false;
		});
	}

	// One blocking write of the encoded outcome: a kept failure's, or a returned value's.
	private boolean storeOutcome(ActiveCall active, Ending ending, String stored) {
		Duration retention = active.call.policy().retention();
		return (ending == Ending.KEEP_FAILURE)
				? this.store.completeFailure(active.storageKey, active.owner, stored, retention)
				: this.store.complete(active.storageKey, active.owner, stored, retention);
	}

	private CompletionStage<Boolean> releaseWithoutBlocking(ActiveCall active) {
		try {
			return active.call.policy().tokenRequired()
					? this.store.releaseTokenClaimAsync(active.storageKey, active.owner, this.tokens.ttl())
					: this.store.releaseAsync(active.storageKey, active.owner);
		}
		catch (RuntimeException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * Stores the outcome; a store failure is retried, backing off, for as long as the lease holds (it is
	 * renewed meanwhile), since the call ran and a lapsed claim would let a retry run it again. With a
	 * lease renewer the retries run in the background, so the caller has its answer at once; without
	 * one they run here.
	 * @return {@code false} if the outcome could not be stored and will not be
	 */
	private boolean completeWhileHeld(ActiveCall active, boolean retry, boolean mayWait, BooleanSupplier complete) {
		long pause = FIRST_COMPLETION_RETRY_MILLIS;
		int attempts = 0;
		// Renewals may keep the lease alive while completions keep failing: try for one lease at most.
		long giveUpAt = System.nanoTime() + active.leaseNanos;
		while (true) {
			attempts++;
			try {
				return stored(active, complete, attempts);
			}
			catch (RuntimeException ex) {
				long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause);
				if (!retry || givesUp(active, next, giveUpAt)) {
					// The method ran: its caller gets the real result. A store bound to the caller's
					// transaction rolls the transaction back instead.
					logGaveUp(active, attempts, ex);
					return false;
				}
				if (attempts == 1 && this.leaseRenewer != null && active.renewed) {
					logger.warn("Could not store the outcome of an idempotent call; retrying in the background while "
							+ "its lease holds [operation={}, key={}, storageKey={}]: {}", active.call.operation(),
							active.key, active.storageKey, ex.toString());
					active.completion = new PendingCompletion(complete, giveUpAt, next,
							Math.min(pause * 2, LAST_COMPLETION_RETRY_MILLIS));
					return true;
				}
				if (!mayWait) {
					logGaveUp(active, attempts, ex);
					return false;
				}
				if (attempts == 1) {
					logger.warn("Could not store the outcome of an idempotent call; retrying while its lease holds "
							+ "[operation={}, key={}, storageKey={}]: {}", active.call.operation(), active.key,
							active.storageKey, ex.toString());
				}
				try {
					Thread.sleep(pause);
				}
				catch (InterruptedException interrupted) {
					Thread.currentThread().interrupt();
					logger.error("Interrupted while storing the outcome of an idempotent call; its claim lapses with "
							+ "its lease and a retry may then run again [operation={}, key={}, storageKey={}]",
							active.call.operation(), active.key, active.storageKey, ex);
					return false;
				}
				pause = Math.min(pause * 2, LAST_COMPLETION_RETRY_MILLIS);
			}
		}
	}

	// One attempt to store the outcome: whether it was stored; an exception if the store failed.
	private boolean stored(ActiveCall active, BooleanSupplier complete, int attempts) {
		if (complete.getAsBoolean()) {
			if (attempts > 1) {
				logger.info("The outcome of an idempotent call was stored at attempt {} [operation={}, key={}]",
						attempts, active.call.operation(), active.key);
			}
			return true;
		}
		if (attempts > 1 && storedByAnEarlierAttempt(active)) {
			logger.info("The outcome of an idempotent call was stored by an earlier attempt that the store "
					+ "answered too late [operation={}, key={}]", active.call.operation(), active.key);
			return true;
		}
		// The renewer tells a lapse when it sees one, but it may have sat in a renewal Redis never answered
		// until the call ended: the lapse is told here then, once.
		active.lose("the store no longer held its claim when its outcome was to be stored");
		logger.error("Idempotent call completed but its claim had already lapsed, so its outcome was not "
				+ "stored; a retry may run again [operation={}, key={}, storageKey={}]", active.call.operation(),
				active.key, active.storageKey);
		return false;
	}

	// An attempt that timed out may still have reached the store: then the record is completed under this
	// call's own owner token, which no other claim ever holds.
	private boolean storedByAnEarlierAttempt(ActiveCall active) {
		try {
			return this.store.find(active.storageKey)
				.filter((record) -> record.state() == RecordState.COMPLETED && active.owner.equals(record.owner()))
				.isPresent();
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	// Whether the next attempt, due at the given time, would come too late: the lease may be gone by then.
	private static boolean givesUp(ActiveCall active, long nextAttemptNanos, long giveUpAtNanos) {
		return active.lost || nextAttemptNanos - active.heldUntil >= 0 || nextAttemptNanos - giveUpAtNanos >= 0;
	}

	private static void logGaveUp(ActiveCall active, int attempts, @Nullable Throwable ex) {
		logger.error("Idempotent call completed but its outcome could not be stored ({} attempts); its claim lapses "
				+ "with its lease (or rolls back with the caller's transaction) and a retry may then run again "
				+ "[operation={}, key={}, storageKey={}]", attempts, active.call.operation(), active.key,
				active.storageKey, ex);
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

	private void restore(@Nullable ActiveCall previous) {
		if (previous != null) {
			this.activeCall.set(previous);
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

	/**
	 * The claim of the innermost idempotent call running on this thread, if any: whether it is still
	 * held, and its fencing value. The handle stays valid when passed to another thread.
	 */
	public Optional<IdempotencyLease> currentLease() {
		return Optional.ofNullable(this.activeCall.get());
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

		private TransactionBoundary transactions = TransactionBoundary.NONE;

		private OutcomeRedactor redactor = OutcomeRedactor.NONE;

		private OutcomeEncryption encryption = OutcomeEncryption.NONE;

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
		 * The largest encoded (and encrypted) outcome kept, in UTF-8 bytes. A larger one is not stored: the call is
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
			this.tokenTtl = StoreDurations.requirePositiveMillis(tokenTtl, "tokenTtl");
			return this;
		}

		/**
		 * Told how each call was answered (metrics, tracing); default {@link IdempotencyListener#NONE}.
		 */
		public Builder listener(IdempotencyListener listener) {
			this.listener = Objects.requireNonNull(listener, "listener");
			return this;
		}

		/**
		 * The transactions calls run in: a claim the store did not write in the call's transaction is
		 * completed or released once that transaction has ended; default {@link TransactionBoundary#NONE}.
		 */
		public Builder transactions(TransactionBoundary transactions) {
			this.transactions = Objects.requireNonNull(transactions, "transactions");
			return this;
		}

		/**
		 * Decides what of each outcome is stored for its duplicates; default {@link OutcomeRedactor#NONE},
		 * which stores it whole.
		 */
		public Builder redactor(OutcomeRedactor redactor) {
			this.redactor = Objects.requireNonNull(redactor, "redactor");
			return this;
		}

		/**
		 * Encrypts outcomes before the store keeps them; default {@link OutcomeEncryption#NONE}. The
		 * {@linkplain #maxOutcomeSize(int) size limit} applies to the encrypted text.
		 */
		public Builder encryption(OutcomeEncryption encryption) {
			this.encryption = Objects.requireNonNull(encryption, "encryption");
			return this;
		}

		public IdempotencyEngine build() {
			return new IdempotencyEngine(this.store, this.keys, this.clock, this.leaseRenewer, this.maxOutcomeSize,
					this.tokenTtl, this.listener, this.transactions, this.redactor, this.encryption);
		}

	}

	/** What becomes of a claim once its call is over. */
	private enum Ending {

		/** Completed with what the call returned. */
		COMPLETE,

		/** Completed with the failure the call threw, which the policy keeps. */
		KEEP_FAILURE,

		/** Released, so a retry runs. */
		RELEASE

	}

	/** A started call: the answer to a duplicate, or the claim the call now holds. */
	private record Started<T>(@Nullable Execution<T> replay, @Nullable ActiveCall active) {
	}

	/** A call's key, storage key, stored fingerprint and owner, and the call it is made within, if any. */
	private record Prepared(String key, String storageKey, @Nullable String fingerprint, String owner,
			@Nullable ActiveCall outer) {
	}

	/** A claim's answer, and when it was sent: the lease runs from no earlier than that. */
	private record Claimed(ClaimResult result, long sentNanos) {
	}

	/** A completion that failed and is retried in the background while the lease holds. */
	private static final class PendingCompletion {

		final BooleanSupplier complete;

		final long giveUpAt;

		volatile long nextAttempt;

		volatile long pauseMillis;

		int attempts = 1;

		final AtomicBoolean inFlight = new AtomicBoolean();

		PendingCompletion(BooleanSupplier complete, long giveUpAt, long nextAttempt, long pauseMillis) {
			this.complete = complete;
			this.giveUpAt = giveUpAt;
			this.nextAttempt = nextAttempt;
			this.pauseMillis = pauseMillis;
		}

	}

	/** A call that holds its claim: its lease, renewed by the {@link LeaseRenewer} while it runs. */
	private final class ActiveCall implements IdempotencyLease, LeaseRenewer.Renewable {

		final IdempotencyCall call;

		final String key;

		final String storageKey;

		final String owner;

		// The claim's fence: given with the claim, or read from the store the first time it is asked for.
		volatile long fence;

		final boolean fenceOnRequest;

		final @Nullable ActiveCall parent;

		final long leaseNanos;

		// Until when the claim holds for sure: the lease from the moment its last claim or renewal was sent.
		volatile long heldUntil;

		volatile long nextRenewal;

		final AtomicBoolean renewing = new AtomicBoolean();

		final AtomicBoolean lostOnce = new AtomicBoolean();

		volatile boolean renewed;

		volatile boolean renewalFailed;

		volatile boolean lost;

		// The claim is being completed or released: the answer of that write, not a renewal's, counts.
		volatile boolean finishing;

		volatile boolean ended;

		// Set when the first completion failed and later ones run in the background.
		volatile @Nullable PendingCompletion completion;

		volatile boolean releaseRequested;

		// The method returned a future, which completes or releases the claim when it completes.
		volatile boolean pending;

		volatile boolean released;

		ActiveCall(IdempotencyCall call, String key, String storageKey, String owner, ClaimResult claim,
				long claimSentNanos, @Nullable ActiveCall parent) {
			this.call = call;
			this.key = key;
			this.storageKey = storageKey;
			this.owner = owner;
			this.fence = claim.fence();
			this.fenceOnRequest = claim.fenceOnRequest();
			this.parent = parent;
			this.leaseNanos = call.policy().lease().toNanos();
			this.heldUntil = claimSentNanos + this.leaseNanos;
			this.nextRenewal = claimSentNanos + this.leaseNanos / 3;
		}

		@Override
		public String operation() {
			return this.call.operation();
		}

		@Override
		public String key() {
			return this.key;
		}

		@Override
		public boolean isHeld() {
			return !this.lost && !this.released && !this.ended && System.nanoTime() - this.heldUntil < 0;
		}

		@Override
		public long fence() {
			long known = this.fence;
			if (known != ClaimResult.NO_FENCE || !this.fenceOnRequest) {
				return known;
			}
			long read = Storage.call(() -> IdempotencyEngine.this.store.fence(this.storageKey, this.owner));
			if (read == ClaimResult.NO_FENCE) {
				if (!this.finishing && !this.ended && !this.released) {
					lose("the store no longer held it when its fence was asked for");
				}
				throw new IllegalStateException("This idempotent call no longer holds its key, so it has no fence: "
						+ "a duplicate may have claimed the key since, and a write fenced now could overwrite its work");
			}
			synchronized (this) {
				// Two threads that asked at once both read a valid fence; the call keeps the first for good.
				if (this.fence == ClaimResult.NO_FENCE) {
					this.fence = read;
				}
				return this.fence;
			}
		}

		@Override
		public @Nullable Runnable due(long nowNanos) {
			if (this.ended) {
				return null;
			}
			PendingCompletion pending = this.completion;
			if (pending != null && nowNanos - pending.nextAttempt >= 0 && pending.inFlight.compareAndSet(false, true)) {
				return () -> completeLater(pending);
			}
			if (!this.finishing && !this.lost && nowNanos - this.heldUntil >= 0) {
				lose("no renewal got through within its lease of " + this.call.policy().lease());
				return null;
			}
			if (this.lost || nowNanos - this.nextRenewal < 0 || !this.renewing.compareAndSet(false, true)) {
				return null;
			}
			return this::renew;
		}

		@Override
		public void notStarted() {
			PendingCompletion pending = this.completion;
			if (pending != null) {
				pending.inFlight.set(false);
			}
			this.renewing.set(false);
		}

		@Override
		public void abandoned() {
			if (this.completion != null && !this.ended) {
				this.ended = true;
				logger.error("The lease renewer stopped (the application is shutting down) before the outcome of an "
						+ "idempotent call could be stored; its claim lapses with its lease and a retry may then run "
						+ "again [operation={}, key={}, storageKey={}]", this.call.operation(), this.key,
						this.storageKey);
				notifyCompletionFailed(this.call);
			}
		}

		// A later attempt to store the outcome, on a renewer's worker; renewals go on meanwhile.
		private void completeLater(PendingCompletion pending) {
			pending.attempts++;
			try {
				if (!stored(this, pending.complete, pending.attempts)) {
					notifyCompletionFailed(this.call);
				}
				end(IdempotencyEngine.this.leaseRenewer);
			}
			catch (RuntimeException ex) {
				long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pending.pauseMillis);
				if (givesUp(this, next, pending.giveUpAt)) {
					logGaveUp(this, pending.attempts, ex);
					notifyCompletionFailed(this.call);
					end(IdempotencyEngine.this.leaseRenewer);
				}
				else {
					pending.nextAttempt = next;
					pending.pauseMillis = Math.min(pending.pauseMillis * 2, LAST_COMPLETION_RETRY_MILLIS);
				}
			}
			finally {
				pending.inFlight.set(false);
			}
		}

		private void renew() {
			IdempotencyStore store = IdempotencyEngine.this.store;
			long sent = System.nanoTime();
			if (store.writesWithoutBlocking()) {
				// The worker sends the renewal and is free again; the answer is read where it arrives.
				CompletionStage<Boolean> answer;
				try {
					answer = store.extendAsync(this.storageKey, this.owner, this.call.policy().lease());
				}
				catch (RuntimeException ex) {
					renewalFailed(ex, sent);
					this.renewing.set(false);
					return;
				}
				answer.whenComplete((extended, failure) -> {
					try {
						if (failure != null) {
							renewalFailed(unwrap(failure), sent);
						}
						else {
							renewed(extended, sent);
						}
					}
					finally {
						this.renewing.set(false);
					}
				});
				return;
			}
			try {
				renewed(store.extend(this.storageKey, this.owner, this.call.policy().lease()), sent);
			}
			catch (RuntimeException ex) {
				renewalFailed(ex, sent);
			}
			finally {
				this.renewing.set(false);
			}
		}

		private void renewed(boolean extended, long sentNanos) {
			if (extended) {
				this.heldUntil = sentNanos + this.leaseNanos;
				this.nextRenewal = sentNanos + this.leaseNanos / 3;
				this.renewalFailed = false;
			}
			else if (!this.finishing && !this.ended) {
				lose("a renewal found it gone: its lease had lapsed, or the key was deleted");
			}
		}

		// Try again soon: the next renewal may get through before the lease lapses. Attempts are spaced by when
		// they were sent, so one that timed out, having waited the store's timeout already, is followed at once.
		private void renewalFailed(@Nullable Throwable ex, long sentNanos) {
			this.nextRenewal = sentNanos + Math.min(this.leaseNanos / 6, RENEWAL_RETRY_NANOS);
			if (!this.renewalFailed) {
				this.renewalFailed = true;
				logger.warn("Could not renew the lease of a running idempotent call; retrying "
						+ "[operation={}, key={}, storageKey={}]: {}", this.call.operation(), this.key,
						this.storageKey, String.valueOf(ex));
			}
		}

		private void lose(String why) {
			if (!this.lostOnce.compareAndSet(false, true)) {
				return;
			}
			this.lost = true;
			logger.error("An idempotent call lost its claim while running ({}); a duplicate may run beside it, "
					+ "and IdempotencyLease.isHeld() now answers false [operation={}, key={}, storageKey={}, fence={}]",
					why, this.call.operation(), this.key, this.storageKey, this.fence);
			try {
				IdempotencyEngine.this.listener.onLeaseLost(this.call);
			}
			catch (RuntimeException ex) {
				logger.warn("An IdempotencyListener failed [operation={}, event=lease_lost]", this.call.operation(),
						ex);
			}
		}

		// Stops the lease renewal: the claim was completed or released, or given up.
		void end(@Nullable LeaseRenewer renewer) {
			this.ended = true;
			if (renewer != null && this.renewed) {
				renewer.remove(this);
			}
		}

	}

}
