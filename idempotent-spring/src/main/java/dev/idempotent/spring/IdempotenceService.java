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
package dev.idempotent.spring;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.ExceptionPolicy;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyLease;
import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.IssuedToken;
import dev.idempotent.core.OutcomeCodec;
import dev.idempotent.core.UnknownTokenOperationException;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.spring.codec.JsonOutcomeCodecFactory;
import dev.idempotent.spring.interceptor.IdempotencyDefaults;
import dev.idempotent.spring.observation.IdempotencyObservations;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.ResolvableType;

/**
 * Lets business code and operators release and inspect idempotency keys.
 * <p>
 * Inside an {@link Idempotent} call, {@link #delete(String)} is how business code says "this was a
 * system failure, let a retry run": the call's own claim is released by owner and the call is not
 * recorded as completed, whatever it returns. A business failure keeps the key: do not delete it.
 * Outside a call, name the operation (and caller) to repair or inspect a record.
 * <p>
 * It also issues the one-time tokens that {@link Idempotent#token()} operations take as keys, and runs
 * work at most once per key where there is no annotated method to call ({@link #execute}).
 */
public class IdempotenceService {

	private final IdempotencyEngine engine;

	private final IdempotencyCallerResolver callers;

	private final @Nullable IdempotencyTokenOperations tokenOperations;

	private final IdempotencyDefaults defaults;

	private final JsonOutcomeCodecFactory codecs;

	private final IdempotencyObservations observations;

	private final ExceptionPolicy exceptions;

	/**
	 * A service that issues tokens for any operation, to the caller Spring Security knows (anonymous
	 * without it). Pass the application's {@link IdempotencyCallerResolver} to issue them to the caller
	 * the {@link Idempotent} calls are scoped to.
	 */
	public IdempotenceService(IdempotencyEngine engine) {
		this(engine, new DefaultIdempotencyCallerResolver(), null);
	}

	/**
	 * A service whose {@link #execute} calls get {@link IdempotencyDefaults#STANDARD} and go unobserved.
	 * @param engine the engine of the {@link Idempotent} calls
	 * @param callers names the caller a token is issued to, and the caller of an {@link #execute} call
	 * @param tokenOperations the operations tokens are issued for, or {@code null} for any
	 */
	public IdempotenceService(IdempotencyEngine engine, IdempotencyCallerResolver callers,
			@Nullable IdempotencyTokenOperations tokenOperations) {
		this(engine, callers, tokenOperations, IdempotencyDefaults.STANDARD,
				new JsonOutcomeCodecFactory(JsonMapper.builder().build()),
				new IdempotencyObservations(ObservationRegistry.NOOP, null));
	}

	/**
	 * @param engine the engine of the {@link Idempotent} calls
	 * @param callers names the caller a token is issued to, and the caller of an {@link #execute} call
	 * @param tokenOperations the operations tokens are issued for, or {@code null} for any
	 * @param defaults the lease, retention and kept failures of an {@link #execute} call, as an
	 * annotation that says nothing gets them
	 * @param codecs writes and reads the outcomes of {@link #execute} calls
	 * @param observations observes {@link #execute} calls as it does annotated ones
	 */
	public IdempotenceService(IdempotencyEngine engine, IdempotencyCallerResolver callers,
			@Nullable IdempotencyTokenOperations tokenOperations, IdempotencyDefaults defaults,
			JsonOutcomeCodecFactory codecs, IdempotencyObservations observations) {
		this.engine = engine;
		this.callers = callers;
		this.tokenOperations = tokenOperations;
		this.defaults = defaults;
		this.codecs = codecs;
		this.observations = observations;
		this.exceptions = new ExceptionPolicy(defaults.keepOn(), defaults.releaseOn());
	}

	/**
	 * Runs work at most once for a key, as an {@link Idempotent} method with {@code REPLAY} and the
	 * configured defaults would: for code paths that have no annotated method to call (a batch loop,
	 * a scheduled job, a gRPC handler). The key is claimed in the store; the work runs and its result
	 * is stored, or a duplicate gets the stored result (read back as {@code type}) without running it.
	 * The claim is scoped to the operation and to the current caller ({@link IdempotencyCallerResolver}).
	 * An exception the defaults keep ({@code idempotent.keep-on}) is stored and thrown again to every
	 * duplicate; any other releases the key, so a retry runs. Observed and counted as the annotation's
	 * calls are.
	 * @param operation names the kind of work: keys are scoped to it, and metrics tagged with it
	 * @param key the idempotency key
	 * @param type the type of the result, as a duplicate reads it back
	 * @param work the work; it may throw unchecked exceptions
	 * @return the fresh result, or the first call's result for a duplicate
	 * @throws dev.idempotent.core.MissingIdempotencyKeyException if the key is {@code null}
	 * @throws dev.idempotent.core.InvalidIdempotencyKeyException if the key is malformed
	 * @throws dev.idempotent.core.IdempotencyStorageUnavailableException if the store failed; the work
	 * did not run
	 * @throws dev.idempotent.core.RequestInProgressException if a call with this key is still running
	 * @throws dev.idempotent.core.ReplayUnavailableException if a call with this key completed but its
	 * result was not kept
	 */
	public <T> @Nullable T execute(String operation, @Nullable String key, Class<T> type,
			Supplier<? extends @Nullable T> work) {
		return execute(operation, key, null, type, work);
	}

	/**
	 * Like {@link #execute(String, String, Class, Supplier)}, with a fingerprint of the request: a
	 * duplicate whose fingerprint differs is refused
	 * ({@link dev.idempotent.core.IdempotencyKeyReusedException}) and nothing runs.
	 * @param fingerprint identifies what the key was sent with (a digest of the request), or
	 * {@code null} not to check
	 */
	public <T> @Nullable T execute(String operation, @Nullable String key, @Nullable String fingerprint,
			Class<T> type, Supplier<? extends @Nullable T> work) {
		Objects.requireNonNull(type, "type");
		return type.cast(run(operation, key, fingerprint, ResolvableType.forClass(type), work));
	}

	/**
	 * Like {@link #execute(String, String, Class, Supplier)}, for a result of a generic type, read back
	 * with its type arguments: {@code new ParameterizedTypeReference<List<Receipt>>() {}}.
	 * @param type the type of the result, as a duplicate reads it back
	 */
	public <T> @Nullable T execute(String operation, @Nullable String key, ParameterizedTypeReference<T> type,
			Supplier<? extends @Nullable T> work) {
		return execute(operation, key, null, type, work);
	}

	/**
	 * Like {@link #execute(String, String, String, Class, Supplier)}, for a result of a generic type.
	 * @param fingerprint identifies what the key was sent with, or {@code null} not to check
	 * @param type the type of the result, as a duplicate reads it back
	 */
	@SuppressWarnings("unchecked")
	public <T> @Nullable T execute(String operation, @Nullable String key, @Nullable String fingerprint,
			ParameterizedTypeReference<T> type, Supplier<? extends @Nullable T> work) {
		Objects.requireNonNull(type, "type");
		return (T) run(operation, key, fingerprint, ResolvableType.forType(type), work);
	}

	private @Nullable Object run(String operation, @Nullable String key, @Nullable String fingerprint,
			ResolvableType type, Supplier<?> work) {
		Objects.requireNonNull(operation, "operation");
		Objects.requireNonNull(work, "work");
		if (this.defaults.lease().compareTo(this.defaults.minimumLease()) < 0) {
			throw new IllegalStateException("idempotent.lease of " + this.defaults.lease() + " is shorter than "
					+ "three times idempotent.store.timeout (" + this.defaults.storeTimeout() + ")");
		}
		IdempotencyPolicy policy = new IdempotencyPolicy(DuplicatePolicy.REPLAY, this.defaults.lease(),
				this.defaults.retention(), Duration.ZERO, this.exceptions);
		OutcomeCodec<Object> codec = this.codecs.forType(type, this.exceptions, type.toClass().getClassLoader());
		try {
			return this.observations.observe(operation, () -> {
				IdempotencyCall call = new IdempotencyCall(operation, key, this.callers.resolveCaller(), null,
						fingerprint, policy);
				return this.engine.execute(call, codec, work::get).getOrThrow();
			});
		}
		catch (RuntimeException | Error ex) {
			throw ex;
		}
		catch (Throwable ex) {
			// A Supplier throws no checked exception, and the library throws none.
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Runs work that returns nothing at most once for a key; see
	 * {@link #execute(String, String, Class, Supplier)}.
	 * @return {@code true} if the work ran now, {@code false} if a call with this key had run it before
	 */
	public boolean execute(String operation, @Nullable String key, Runnable work) {
		Objects.requireNonNull(work, "work");
		boolean[] ran = new boolean[1];
		execute(operation, key, null, Boolean.class, () -> {
			work.run();
			ran[0] = true;
			return Boolean.TRUE;
		});
		return ran[0];
	}

	/**
	 * Issues a one-time token to the current caller for an {@link Idempotent#token()} operation, live
	 * for {@code idempotent.token.ttl}. The caller sends it as the key of exactly one call; no other
	 * caller can use it.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @throws UnknownTokenOperationException if no {@link Idempotent#token()} method has that name
	 * @throws dev.idempotent.core.IdempotencyStorageUnavailableException if the store failed
	 */
	public IssuedToken issueToken(String operation) {
		return issueToken(operation, this.callers.resolveCaller());
	}

	/**
	 * Issues a one-time token to a caller for an {@link Idempotent#token()} operation, live for
	 * {@code idempotent.token.ttl}.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @throws UnknownTokenOperationException if no {@link Idempotent#token()} method has that name
	 */
	public IssuedToken issueToken(String operation, @Nullable String caller) {
		return this.engine.tokens().issue(checkTokenOperation(operation), caller);
	}

	/**
	 * Issues a one-time token to a caller for an {@link Idempotent#token()} operation, live for the
	 * given time.
	 * @throws UnknownTokenOperationException if no {@link Idempotent#token()} method has that name
	 */
	public IssuedToken issueToken(String operation, @Nullable String caller, Duration ttl) {
		return this.engine.tokens().issue(checkTokenOperation(operation), caller, ttl);
	}

	private String checkTokenOperation(String operation) {
		if (this.tokenOperations != null && !this.tokenOperations.contains(operation)) {
			throw new UnknownTokenOperationException("No operation named '" + operation + "' takes one-time tokens.");
		}
		return operation;
	}

	/**
	 * Inside an {@link Idempotent} call: releases the key so a retry runs again. When {@code key} is
	 * the running call's key, its claim is released by owner and the call will not be completed; any
	 * other key is deleted in the running call's operation, caller and scope.
	 * @param key the idempotency key as the request carried it
	 * @return whether a claim or record was removed
	 * @throws IllegalStateException if no idempotent call is running on this thread; use
	 * {@link #delete(String, String, String)}
	 * @throws dev.idempotent.core.IdempotencyStorageUnavailableException if the store failed
	 */
	public boolean delete(String key) {
		return this.engine.releaseFromCall(key);
	}

	/**
	 * Inside an {@link Idempotent} call: the claim it holds on its key. Check
	 * {@link IdempotencyLease#isHeld()} before a write that must not happen twice, and pass
	 * {@link IdempotencyLease#fence()} with it so the resource can refuse a write from a call whose
	 * lease lapsed while a later claim of the key ran (see the failures guide).
	 * @throws IllegalStateException if no idempotent call is running on this thread
	 */
	public IdempotencyLease currentLease() {
		return this.engine.currentLease()
			.orElseThrow(() -> new IllegalStateException("No idempotent call is running on this thread"));
	}

	/**
	 * Inside an {@link Idempotent} call: whether it still holds its key, as far as the library can tell
	 * (no renewal found the claim gone, and the last one is younger than the lease).
	 * @throws IllegalStateException if no idempotent call is running on this thread
	 */
	public boolean holdsKey() {
		return currentLease().isHeld();
	}

	/**
	 * Inside an {@link Idempotent} call: the fencing value of its claim, greater for every later claim
	 * of the same key; {@link dev.idempotent.core.store.ClaimResult#NO_FENCE} when the store gives none.
	 * With Redis the first call reads it from Redis (one round trip, while the call still holds its key).
	 * @throws IllegalStateException if no idempotent call is running on this thread, or if the call no
	 * longer holds its key when Redis is asked for the fence (write nothing fenced then)
	 * @throws dev.idempotent.core.IdempotencyStorageUnavailableException if the store failed to give it
	 */
	public long fence() {
		return currentLease().fence();
	}

	/**
	 * Deletes a record whatever its state: an operator's repair of a stuck key.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @param key the idempotency key as the request carried it
	 * @return whether a record was removed
	 */
	public boolean delete(String operation, @Nullable String caller, String key) {
		return this.engine.records().delete(operation, caller, key);
	}

	/**
	 * Deletes a record of an operation with a {@link Idempotent#scope()} whatever its state.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @param scope the value of the operation's scope expression, or {@code null}
	 * @param key the idempotency key as the request carried it
	 * @return whether a record was removed
	 */
	public boolean delete(String operation, @Nullable String caller, @Nullable String scope, String key) {
		return this.engine.records().delete(operation, caller, scope, key);
	}

	/**
	 * Inside an {@link Idempotent} call: reads the record of a key in the running call's operation,
	 * caller and scope.
	 * @throws IllegalStateException if no idempotent call is running on this thread; use
	 * {@link #find(String, String, String)}
	 */
	public Optional<IdempotencyRecord> find(String key) {
		IdempotencyCall call = this.engine.currentCall()
			.orElseThrow(() -> new IllegalStateException("No idempotent call is running on this thread: "
					+ "use find(operation, caller, key)"));
		return this.engine.records().find(call.operation(), call.caller(), call.scope(), key);
	}

	/**
	 * Reads the record of a key.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @param key the idempotency key as the request carried it
	 */
	public Optional<IdempotencyRecord> find(String operation, @Nullable String caller, String key) {
		return this.engine.records().find(operation, caller, key);
	}

	/**
	 * Reads the record of a key of an operation with a {@link Idempotent#scope()}.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @param scope the value of the operation's scope expression, or {@code null}
	 * @param key the idempotency key as the request carried it
	 */
	public Optional<IdempotencyRecord> find(String operation, @Nullable String caller, @Nullable String scope,
			String key) {
		return this.engine.records().find(operation, caller, scope, key);
	}

}
