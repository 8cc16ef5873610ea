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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.transport.IdempotencyOperation;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.CachedExpressionEvaluator;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.expression.BeanResolver;
import org.springframework.expression.Expression;

/**
 * Reads the raw idempotency key of a call: the {@link Idempotent#key()} SpEL expression over the
 * arguments (parsed once per method), else what the operation's transport carries under the
 * {@link Idempotent#header()} (for a web request, that header). Returns {@code null} when there is no
 * key; the engine turns that into a 400. Evaluates the {@link Idempotent#scope()} expression the same
 * way.
 */
public class IdempotencyKeyResolver extends CachedExpressionEvaluator {

	private final Map<ExpressionKey, Expression> expressions = new ConcurrentHashMap<>(64);

	private final @Nullable BeanResolver beanResolver;

	/**
	 * @param beanFactory resolves {@code @bean} references in key expressions, or {@code null}
	 */
	public IdempotencyKeyResolver(@Nullable BeanFactory beanFactory) {
		this.beanResolver = (beanFactory != null) ? new BeanFactoryResolver(beanFactory) : null;
	}

	/**
	 * The key as the call carries it, not yet validated, or {@code null} if it carries none.
	 */
	public @Nullable String resolveKey(IdempotencyOperation operation, @Nullable Object target, Object[] arguments) {
		if (operation.keyExpression() == null) {
			return operation.transport().key(operation.header(), operation.method(), arguments);
		}
		Object value = evaluate(operation, operation.keyExpression(), target, arguments);
		return (value != null) ? value.toString() : null;
	}

	/**
	 * The further scope of the call ({@link Idempotent#scope()}), or {@code null} when it has none.
	 */
	public @Nullable String resolveScope(IdempotencyOperation operation, @Nullable Object target, Object[] arguments) {
		if (operation.scopeExpression() == null) {
			return null;
		}
		Object value = evaluate(operation, operation.scopeExpression(), target, arguments);
		return (value != null) ? value.toString() : null;
	}

	private @Nullable Object evaluate(IdempotencyOperation operation, String expression, @Nullable Object target,
			Object[] arguments) {
		Method method = operation.method();
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(new KeyRoot(method, arguments, target),
				method, arguments, getParameterNameDiscoverer());
		if (this.beanResolver != null) {
			context.setBeanResolver(this.beanResolver);
		}
		return getExpression(this.expressions, operation.methodKey(), expression).getValue(context);
	}

	/**
	 * The root object of a key expression: {@code #root.method}, {@code #root.args},
	 * {@code #root.target}.
	 *
	 * @param method the invoked method
	 * @param args its arguments
	 * @param target the bean invoked
	 */
	public record KeyRoot(Method method, Object[] args, @Nullable Object target) {
	}

}
