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
