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

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
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

	/** Runs the method itself. */
	@Nullable Object proceed() throws Throwable;

	/**
	 * Replaces the outcome the engine reported for the call (metrics, spans): a listener that
	 * acknowledges a completed duplicate without running records {@link CallOutcome#SKIPPED}.
	 */
	void recordOutcome(CallOutcome outcome);

}
