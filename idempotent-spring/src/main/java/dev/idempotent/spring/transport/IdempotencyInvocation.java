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
package dev.idempotent.spring.transport;

import java.util.function.Function;
import java.util.function.Supplier;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyException;
import org.jspecify.annotations.Nullable;

/**
 * One invocation of an {@link dev.idempotent.spring.Idempotent} method, as the interceptor hands it
 * to its {@link IdempotencyTransport}.
 */
public interface IdempotencyInvocation {

	/** What the annotation says about the method. */
	IdempotencyOperation operation();

	/** The method's arguments. */
	Object[] arguments();

	/**
	 * Reads the call's key, caller, scope and fingerprint through the operation's transport. A
	 * transport calls it when the call starts.
	 * @throws dev.idempotent.core.IdempotencyException if the key cannot be read
	 */
	IdempotencyCall resolveCall();

	/**
	 * Runs the call through the engine: the method at most once for the call's key, or the answer to
	 * its duplicate.
	 * @param method runs the method; the engine calls it at most once
	 * @see dev.idempotent.core.IdempotencyEngine#execute
	 */
	Execution<Object> execute(IdempotencyCall call, IdempotencyEngine.Invocation<Object> method) throws Throwable;

	/**
	 * Runs the call through the engine, for a transport that answers refusals its own way rather than
	 * with the engine's exceptions (a message listener's container, say). A refusal that came before
	 * the method ran (a completed or running duplicate, the store down, a reused or bad key) goes to
	 * {@code refused}; a failure of the method itself, even an {@link IdempotencyException} from an
	 * idempotent call it made, is thrown as it is.
	 * @param call the call, from {@link #resolveCall()}
	 * @param refused answers a refusal: returns what the invocation returns, or throws
	 * @param replayed answers a completed duplicate the engine replayed
	 * @return what the method returned, or the answer to a refusal or a replay
	 */
	default @Nullable Object executeAnswering(IdempotencyCall call,
			Function<IdempotencyException, @Nullable Object> refused, Supplier<@Nullable Object> replayed)
			throws Throwable {
		boolean[] ran = new boolean[1];
		Execution<Object> execution;
		try {
			execution = execute(call, () -> {
				ran[0] = true;
				return proceed();
			});
		}
		catch (IdempotencyException ex) {
			if (ran[0]) {
				throw ex;
			}
			return refused.apply(ex);
		}
		return execution.replayed() ? replayed.get() : execution.value();
	}

	/** Runs the method itself. */
	@Nullable Object proceed() throws Throwable;

	/**
	 * Replaces the outcome the engine reported for the call (metrics, spans): a listener that
	 * acknowledges a completed duplicate without running records {@link CallOutcome#SKIPPED}.
	 */
	void recordOutcome(CallOutcome outcome);

}
