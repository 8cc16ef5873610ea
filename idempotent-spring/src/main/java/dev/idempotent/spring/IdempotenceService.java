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
import java.util.Optional;

import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyLease;
import dev.idempotent.core.IssuedToken;
import dev.idempotent.core.UnknownTokenOperationException;
import dev.idempotent.core.store.IdempotencyRecord;
import org.jspecify.annotations.Nullable;

/**
 * Lets business code and operators release and inspect idempotency keys.
 * <p>
 * Inside an {@link Idempotent} call, {@link #delete(String)} is how business code says "this was a
 * system failure, let a retry run": the call's own claim is released by owner and the call is not
 * recorded as completed, whatever it returns. A business failure keeps the key: do not delete it.
 * Outside a call, name the operation (and caller) to repair or inspect a record.
 * <p>
 * It also issues the one-time tokens that {@link Idempotent#token()} operations take as keys.
 */
public class IdempotenceService {

	private final IdempotencyEngine engine;

	private final IdempotencyCallerResolver callers;

	private final @Nullable IdempotencyTokenOperations tokenOperations;

	/**
	 * A service that issues tokens for any operation, to the caller Spring Security knows (anonymous
	 * without it). Pass the application's {@link IdempotencyCallerResolver} to issue them to the caller
	 * the {@link Idempotent} calls are scoped to.
	 */
	public IdempotenceService(IdempotencyEngine engine) {
		this(engine, new DefaultIdempotencyCallerResolver(), null);
	}

	/**
	 * @param engine the engine of the {@link Idempotent} calls
	 * @param callers names the caller a token is issued to
	 * @param tokenOperations the operations tokens are issued for, or {@code null} for any
	 */
	public IdempotenceService(IdempotencyEngine engine, IdempotencyCallerResolver callers,
			@Nullable IdempotencyTokenOperations tokenOperations) {
		this.engine = engine;
		this.callers = callers;
		this.tokenOperations = tokenOperations;
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
	 * @throws IllegalStateException if no idempotent call is running on this thread
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
