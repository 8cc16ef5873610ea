package dev.idempotent.spring;

import java.lang.reflect.Method;

import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotentCall;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;

/**
 * Adapts a method invocation to the {@link IdempotencyEngine}: resolves the operation, key and
 * caller, lets the engine run or answer the call, and marks a replayed HTTP response with
 * {@value #REPLAYED_HEADER}.
 */
public class IdempotentInterceptor implements MethodInterceptor {

	/** The response header that marks an HTTP response as a replay of an earlier call. */
	public static final String REPLAYED_HEADER = "Idempotent-Replayed";

	private final IdempotencyEngine engine;

	private final IdempotentOperationSource operations;

	private final IdempotencyKeyResolver keys;

	private final IdempotencyCallerResolver callers;

	public IdempotentInterceptor(IdempotencyEngine engine, IdempotentOperationSource operations,
			IdempotencyKeyResolver keys, IdempotencyCallerResolver callers) {
		this.engine = engine;
		this.operations = operations;
		this.keys = keys;
		this.callers = callers;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		Method method = invocation.getMethod();
		Object target = invocation.getThis();
		Class<?> targetClass = (target != null) ? AopUtils.getTargetClass(target) : null;
		IdempotentOperation operation = this.operations.getOperation(method, targetClass);
		if (operation == null) {
			return invocation.proceed();
		}
		String key = this.keys.resolveKey(operation, target, invocation.getArguments());
		IdempotentCall call = new IdempotentCall(operation.name(), key, this.callers.resolveCaller(), null,
				operation.onDuplicate(), operation.lease(), operation.retention());
		Execution<Object> execution = this.engine.execute(call, operation.codec(), invocation::proceed);
		if (execution.replayed()) {
			CurrentHttpExchange.setResponseHeader(REPLAYED_HEADER, "true");
		}
		return execution.value();
	}

}
