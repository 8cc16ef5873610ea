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

import java.lang.reflect.Method;

import dev.idempotent.core.Execution;
import org.jspecify.annotations.Nullable;

/**
 * The default transport: a plain method call, a service method say. Its key comes from the
 * annotation's expression or from a header of the request served on the thread, if there is one; its
 * fingerprint covers its arguments; its duplicates get the first call's result back (or a failure:
 * {@link dev.idempotent.core.DuplicateRequestException},
 * {@link dev.idempotent.core.RequestInProgressException} and the others), and a replay marks the
 * current HTTP response with {@value #REPLAYED_HEADER}.
 */
public class MethodCallTransport implements IdempotencyTransport {

	/** The response header that marks an HTTP response as a replay of an earlier call. */
	public static final String REPLAYED_HEADER = "Idempotent-Replayed";

	private final ThreadBoundRequest request;

	/**
	 * @param request the request served on the thread, or {@link ThreadBoundRequest#NONE}
	 */
	public MethodCallTransport(ThreadBoundRequest request) {
		this.request = request;
	}

	/** Supports every method: the transport of last resort. */
	@Override
	public boolean supports(Method method) {
		return true;
	}

	/** Yes: the caller gets the future, and a replay is marked as for any other method. */
	@Override
	public boolean supportsFutures() {
		return true;
	}

	/** Yes: the call starts on subscription, and a replay is marked as for any other method. */
	@Override
	public boolean supportsPublishers() {
		return true;
	}

	@Override
	public @Nullable String key(String header) {
		return this.request.header(header);
	}

	@Override
	public void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs) {
		inputs.text("arguments").values(arguments);
	}

	@Override
	public void markReplayed() {
		this.request.markReplayed();
	}

	@Override
	public @Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable {
		Execution<Object> execution = invocation.execute(invocation.resolveCall(), invocation::proceed);
		if (execution.replayed()) {
			this.request.markReplayed();
		}
		return execution.getOrThrow();
	}

	/** The request served on the thread. */
	protected ThreadBoundRequest request() {
		return this.request;
	}

}
