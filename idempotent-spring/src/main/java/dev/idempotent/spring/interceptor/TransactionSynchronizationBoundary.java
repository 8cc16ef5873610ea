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
package dev.idempotent.spring.interceptor;

import java.util.function.Consumer;

import dev.idempotent.core.TransactionBoundary;

import org.springframework.core.Ordered;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Spring's transactions, as the engine sees them: a call running in a transaction that Spring manages
 * on this thread has its claim completed or released in {@code afterCompletion}, once the commit or
 * the rollback is done. A thread that merely has synchronization on, with no actual transaction
 * ({@code SUPPORTS} propagation), completes at once.
 */
public final class TransactionSynchronizationBoundary implements TransactionBoundary {

	@Override
	public boolean afterEnd(Consumer<TransactionEnd> whenEnded) {
		if (!TransactionSynchronizationManager.isSynchronizationActive()
				|| !TransactionSynchronizationManager.isActualTransactionActive()) {
			return false;
		}
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			// After the application's own synchronizations: theirs may still fail the commit.
			@Override
			public int getOrder() {
				return Ordered.LOWEST_PRECEDENCE;
			}

			@Override
			public void afterCompletion(int status) {
				whenEnded.accept(switch (status) {
					case STATUS_COMMITTED -> TransactionEnd.COMMITTED;
					case STATUS_ROLLED_BACK -> TransactionEnd.ROLLED_BACK;
					default -> TransactionEnd.UNKNOWN;
				});
			}

		});
		return true;
	}

}
