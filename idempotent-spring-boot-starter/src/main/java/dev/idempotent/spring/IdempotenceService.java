package dev.idempotent.spring;

import java.util.Optional;

import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyRecord;
import dev.idempotent.core.IdempotentCall;
import org.jspecify.annotations.Nullable;

/**
 * Lets business code and operators release and inspect idempotency keys.
 * <p>
 * Inside an {@link Idempotent} call, {@link #delete(String)} is how business code says "this was a
 * system failure, let a retry run": the call's own claim is released by owner and the call is not
 * recorded as completed, whatever it returns. A business failure keeps the key: do not delete it.
 * Outside a call, name the operation (and caller) to repair or inspect a record.
 */
public class IdempotenceService {

	private final IdempotencyEngine engine;

	public IdempotenceService(IdempotencyEngine engine) {
		this.engine = engine;
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
	 * Deletes a record whatever its state: an operator's repair of a stuck key.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @param key the idempotency key as the request carried it
	 * @return whether a record was removed
	 */
	public boolean delete(String operation, @Nullable String caller, String key) {
		return this.engine.delete(operation, caller, key);
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
		return this.engine.delete(operation, caller, scope, key);
	}

	/**
	 * Inside an {@link Idempotent} call: reads the record of a key in the running call's operation,
	 * caller and scope.
	 * @throws IllegalStateException if no idempotent call is running on this thread; use
	 * {@link #find(String, String, String)}
	 */
	public Optional<IdempotencyRecord> find(String key) {
		IdempotentCall call = this.engine.currentCall()
			.orElseThrow(() -> new IllegalStateException("No idempotent call is running on this thread: "
					+ "use find(operation, caller, key)"));
		return this.engine.find(call.operation(), call.caller(), call.scope(), key);
	}

	/**
	 * Reads the record of a key.
	 * @param operation the operation ({@link Idempotent#name()})
	 * @param caller the caller scope (the principal's name), or {@code null} for anonymous calls
	 * @param key the idempotency key as the request carried it
	 */
	public Optional<IdempotencyRecord> find(String operation, @Nullable String caller, String key) {
		return this.engine.find(operation, caller, key);
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
		return this.engine.find(operation, caller, scope, key);
	}

}
