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

import java.lang.reflect.Method;
import java.util.Arrays;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.spring.IdempotencyCallerResolver;
import dev.idempotent.spring.observation.IdempotencyObservations;
import dev.idempotent.spring.transport.IdempotencyInvocation;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import io.micrometer.observation.ObservationRegistry;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;

/**
 * Adapts a method invocation to the {@link IdempotencyEngine}: finds the method's operation and hands
 * the invocation to the operation's {@link IdempotencyTransport}, which reads the call's key, caller
 * and fingerprint, lets the engine run or answer the call, and gives the answer to whoever invoked the
 * method. Each call, key resolution included, is observed by {@link IdempotencyObservations}.
 */
public class IdempotencyInterceptor implements MethodInterceptor {

	private final IdempotencyEngine engine;

	private final IdempotencyOperationSource operations;

	private final IdempotencyKeyResolver keys;

	private final IdempotencyCallerResolver callers;

	private final IdempotencyFingerprinter fingerprints;

	private final IdempotencyObservations observations;

	/** An interceptor whose calls are not observed. */
	public IdempotencyInterceptor(IdempotencyEngine engine, IdempotencyOperationSource operations,
			IdempotencyKeyResolver keys, IdempotencyCallerResolver callers, IdempotencyFingerprinter fingerprints) {
		this(engine, operations, keys, callers, fingerprints,
				new IdempotencyObservations(ObservationRegistry.NOOP, null));
	}

	/**
	 * @param observations observes each call; give the engine the same instance as its listener, so the
	 * observations learn the outcomes
	 */
	public IdempotencyInterceptor(IdempotencyEngine engine, IdempotencyOperationSource operations,
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
		IdempotencyOperation operation = this.operations.getOperation(method, targetClass);
		if (operation == null) {
			return invocation.proceed();
		}
		Invocation call = new Invocation(operation, invocation, target);
		if (operation.returns().isPublisher()) {
			// Nothing happens until the answer is subscribed to.
			return ReactiveReturnType.answer(operation.returns(), this.engine.claimsWithoutBlocking(),
					() -> this.observations.observeUntilDone(operation.name(), () -> operation.transport().invoke(call)));
		}
		if (operation.returns() == IdempotencyOperation.Returns.FUTURE) {
			return this.observations.observeUntilDone(operation.name(), () -> operation.transport().invoke(call));
		}
		return this.observations.observe(operation.name(), () -> operation.transport().invoke(call));
	}

	private final class Invocation implements IdempotencyInvocation {

		private final IdempotencyOperation operation;

		private final MethodInvocation invocation;

		private final @Nullable Object target;

		Invocation(IdempotencyOperation operation, MethodInvocation invocation, @Nullable Object target) {
			this.operation = operation;
			this.invocation = invocation;
			this.target = target;
		}

		@Override
		public IdempotencyOperation operation() {
			return this.operation;
		}

		@Override
		public Object[] arguments() {
			return this.invocation.getArguments();
		}

		@Override
		public IdempotencyCall resolveCall() {
			Object[] arguments = arguments();
			IdempotencyInterceptor self = IdempotencyInterceptor.this;
			return new IdempotencyCall(this.operation.name(), self.keys.resolveKey(this.operation, this.target, arguments),
					this.operation.transport().caller(self.callers),
					self.keys.resolveScope(this.operation, this.target, arguments),
					self.fingerprints.fingerprint(this.operation, requestArguments(arguments)), this.operation.policy());
		}

		// A suspend function's last argument is its continuation, a new one on every call: not part of the request.
		private Object[] requestArguments(Object[] arguments) {
			return (this.operation.returns() == IdempotencyOperation.Returns.SUSPEND)
					? Arrays.copyOf(arguments, arguments.length - 1) : arguments;
		}

		@Override
		public Execution<Object> execute(IdempotencyCall call, IdempotencyEngine.Invocation<Object> method)
				throws Throwable {
			IdempotencyEngine engine = IdempotencyInterceptor.this.engine;
			if (this.operation.returns().isPublisher()) {
				return ReactiveReturnType.execute(this.operation, engine, call, method);
			}
			if (this.operation.returns() == IdempotencyOperation.Returns.FUTURE) {
				return FutureReturnType.execute(engine, call, this.operation.codec(), method);
			}
			return engine.execute(call, this.operation.codec(), method);
		}

		@Override
		public @Nullable Object proceed() throws Throwable {
			return this.invocation.proceed();
		}

		@Override
		public void recordOutcome(CallOutcome outcome) {
			IdempotencyInterceptor.this.observations.recordOutcome(outcome);
		}

	}

}
