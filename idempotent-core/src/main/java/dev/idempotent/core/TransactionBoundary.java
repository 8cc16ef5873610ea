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

import java.util.function.Consumer;

/**
 * The transaction an idempotent call runs in, if any. When the call's claim was not written in that
 * transaction (a Redis or in-memory store, or a database the transaction does not cover), the engine
 * completes or releases it only once the transaction has ended: a success whose commit then fails is
 * never replayed, and its claim is released so that a retry runs. The call's lease is renewed until then.
 */
@FunctionalInterface
public interface TransactionBoundary {

	/** No transactions: every call completes as soon as it returns. */
	TransactionBoundary NONE = (whenEnded) -> false;

	/**
	 * If the current thread runs in a transaction that has yet to commit or roll back, arranges for
	 * {@code whenEnded} to be told how it ended, on the thread that ends it, and answers {@code true}.
	 * @return {@code false} when there is no such transaction (nothing was arranged)
	 */
	boolean afterEnd(Consumer<TransactionEnd> whenEnded);

	/** How a transaction ended. */
	enum TransactionEnd {

		/** Its work is stored. */
		COMMITTED,

		/** Its work is undone. */
		ROLLED_BACK,

		/** Not known (a commit whose answer was lost, say): its work may or may not be stored. */
		UNKNOWN

	}

}
