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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.OutcomeCodec;

import org.springframework.core.ResolvableType;

/**
 * The one asynchronous return type supported so far: a method declared to return
 * {@link CompletableFuture} or {@link CompletionStage} itself (a subclass could not be handed back).
 * Its calls go through {@link IdempotencyEngine#executeAsync}, and its outcomes are those of its
 * future's value type.
 */
final class FutureReturnType {

	private FutureReturnType() {
	}

	static boolean returnsFuture(Method method) {
		Class<?> type = method.getReturnType();
		return type == CompletableFuture.class || type == CompletionStage.class;
	}

	/**
	 * The type of the future's value, as declared ({@code List<Receipt>} of a
	 * {@code CompletableFuture<List<Receipt>>}): what is stored, and what a duplicate reads back. Both
	 * types have the one type parameter, so the declared argument is the value's type.
	 */
	static ResolvableType valueType(Method method) {
		return ResolvableType.forMethodReturnType(method).getGeneric(0);
	}

	/** Runs the call; the execution's value is the future the caller gets. */
	@SuppressWarnings("unchecked")
	static Execution<Object> execute(IdempotencyEngine engine, IdempotencyCall call, OutcomeCodec<Object> codec,
			IdempotencyEngine.Invocation<Object> method) throws Throwable {
		Execution<CompletableFuture<Object>> execution = engine.executeAsync(call, codec,
				() -> (CompletionStage<Object>) method.invoke());
		return new Execution<>(execution.value(), null, execution.replayed());
	}

}
