package dev.idempotent.spring;

import java.lang.reflect.Method;

import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotentCall;
import dev.idempotent.spring.observation.IdempotencyObservations;
import io.micrometer.observation.ObservationRegistry;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;

/**
 * Adapts a method invocation to the {@link IdempotencyEngine}: resolves the operation, key, caller,
 * scope and fingerprint, lets the engine run or answer the call, and marks a replayed HTTP response
 * (a replayed failure's too) with {@value #REPLAYED_HEADER}. A message listener's duplicates are
 * answered the way its container understands: skipped, requeued or rejected. Each call, key resolution
 * included, is observed by {@link IdempotencyObservations}.
 */
public class IdempotentInterceptor implements MethodInterceptor {

	/** The response header that marks an HTTP response as a replay of an earlier call. */
	public static final String REPLAYED_HEADER = "Idempotent-Replayed";

	private final IdempotencyEngine engine;

	private final IdempotentOperationSource operations;

	private final IdempotencyKeyResolver keys;

	private final IdempotencyCallerResolver callers;

	private final IdempotencyFingerprinter fingerprints;

	private final IdempotencyObservations observations;

	/** An interceptor whose calls are not observed. */
	public IdempotentInterceptor(IdempotencyEngine engine, IdempotentOperationSource operations,
			IdempotencyKeyResolver keys, IdempotencyCallerResolver callers, IdempotencyFingerprinter fingerprints) {
		this(engine, operations, keys, callers, fingerprints,
				new IdempotencyObservations(ObservationRegistry.NOOP, null));
	}

	/**
	 * @param observations observes each call; give the engine the same instance as its listener, so the
	 * observations learn the outcomes
	 */
	public IdempotentInterceptor(IdempotencyEngine engine, IdempotentOperationSource operations,
			IdempotencyKeyResolver keys, IdempotencyCallerResolver callers, IdempotencyFingerprinter fingerprints,
			IdempotencyObservations observations) {
		this.engine = engine;
		this.operations = operations;
		this.keys = keys;
		this.callers = callers;
		this.fingerprints = fingerprints;
		this.observations = observations;
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
		return this.observations.observe(operation.name(), () -> invoke(operation, invocation, target));
	}

	private @Nullable Object invoke(IdempotentOperation operation, MethodInvocation invocation, @Nullable Object target)
			throws Throwable {
		Object[] arguments = invocation.getArguments();
		IdempotentCall call = new IdempotentCall(operation.name(), this.keys.resolveKey(operation, target, arguments),
				this.callers.resolveCaller(), this.keys.resolveScope(operation, target, arguments),
				this.fingerprints.fingerprint(operation, arguments), operation.policy());
		if (operation.messageListener()) {
			return MessageListenerCalls.execute(this.engine, call, operation, invocation, this.observations);
		}
		Execution<Object> execution = this.engine.execute(call, operation.codec(), invocation::proceed);
		if (execution.replayed()) {
			CurrentHttpExchange.setResponseHeader(REPLAYED_HEADER, "true");
		}
		return execution.getOrThrow();
	}

}
