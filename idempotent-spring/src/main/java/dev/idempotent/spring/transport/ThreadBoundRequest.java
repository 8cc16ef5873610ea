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

import org.jspecify.annotations.Nullable;

/**
 * The request being served on the current thread, whichever method it reaches: an
 * {@link dev.idempotent.spring.Idempotent} service method called from a web handler reads its key
 * from the request's header, and its replay marks the response, as the handler's would.
 */
public interface ThreadBoundRequest {

	/** No request is ever bound to a thread: plain method calls outside any web stack. */
	ThreadBoundRequest NONE = new ThreadBoundRequest() {

		@Override
		public @Nullable String header(String name) {
			return null;
		}

		@Override
		public @Nullable String principal() {
			return null;
		}

		@Override
		public void markReplayed() {
		}

	};

	/** A header of the current request, or {@code null} without one. */
	@Nullable String header(String name);

	/** The name of the current request's authenticated principal, or {@code null}. */
	@Nullable String principal();

	/**
	 * Marks the current response, if any, as a replay of an earlier call:
	 * {@value MethodCallTransport#REPLAYED_HEADER}{@code : true}.
	 */
	void markReplayed();

}
