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
