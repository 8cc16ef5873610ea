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

import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Puts a call's operation and key in the logging context (MDC) while its method runs, so its logs (SQL
 * logs included) carry the key that a crash between the business write and the completion leaves to
 * repair. An enclosing call's entries come back afterwards.
 */
final class KeyInLogs {

	private KeyInLogs() {
	}

	static <T> @Nullable T run(String operation, String key, IdempotencyEngine.Invocation<T> invocation)
			throws Throwable {
		String enclosingOperation = MDC.get(IdempotencyEngine.MDC_OPERATION);
		String enclosingKey = MDC.get(IdempotencyEngine.MDC_KEY);
		MDC.put(IdempotencyEngine.MDC_OPERATION, operation);
		MDC.put(IdempotencyEngine.MDC_KEY, key);
		try {
			return invocation.invoke();
		}
		finally {
			restore(IdempotencyEngine.MDC_OPERATION, enclosingOperation);
			restore(IdempotencyEngine.MDC_KEY, enclosingKey);
		}
	}

	private static void restore(String entry, @Nullable String value) {
		if (value != null) {
			MDC.put(entry, value);
		}
		else {
			MDC.remove(entry);
		}
	}

}
