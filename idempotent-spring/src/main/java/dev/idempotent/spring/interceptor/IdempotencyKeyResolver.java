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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.transport.IdempotencyOperation;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.AnnotatedElementKey;
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

	// An expression that names one argument (#name, #p0, #a0) is read without SpEL: its index, or -1.
	private static final Pattern ONE_VARIABLE = Pattern.compile("#([A-Za-z_$][A-Za-z0-9_$]*)");

	private final Map<ExpressionKey, Expression> expressions = new ConcurrentHashMap<>(64);

	private final Map<ArgumentKey, Integer> arguments = new ConcurrentHashMap<>(64);

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
		int argument = this.arguments.computeIfAbsent(new ArgumentKey(operation.methodKey(), expression),
				(key) -> argumentIndex(method, expression));
		if (argument >= 0 && arguments.length == method.getParameterCount()) {
			return arguments[argument];
		}
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(new KeyRoot(method, arguments, target),
				method, arguments, getParameterNameDiscoverer());
		if (this.beanResolver != null) {
			context.setBeanResolver(this.beanResolver);
		}
		return getExpression(this.expressions, operation.methodKey(), expression).getValue(context);
	}

	/**
	 * The argument an expression is, when it is nothing but a variable that
	 * {@link MethodBasedEvaluationContext} would bind to one argument (a parameter's name, else
	 * {@code p<i>} or {@code a<i>}); else {@code -1}.
	 */
	private int argumentIndex(Method method, String expression) {
		Matcher variable = ONE_VARIABLE.matcher(expression.trim());
		if (!variable.matches()) {
			return -1;
		}
		String name = variable.group(1);
		if (name.equals("root") || name.equals("this")) {
			return -1;
		}
		String[] names = getParameterNameDiscoverer().getParameterNames(method);
		int indexed = indexedVariable(name, method.getParameterCount());
		int named = -1;
		if (names != null && names.length == method.getParameterCount()) {
			for (int i = 0; i < names.length; i++) {
				if (name.equals(names[i])) {
					named = i;
				}
			}
		}
		// A parameter named like p1 or a0: which binding wins depends on the order; SpEL decides.
		return (indexed >= 0 && named >= 0) ? -1 : Math.max(indexed, named);
	}

	// The argument p<i> or a<i> names, as the context binds them; else -1.
	private static int indexedVariable(String name, int parameterCount) {
		if (name.length() < 2 || name.length() > 4 || (name.charAt(0) != 'p' && name.charAt(0) != 'a')) {
			return -1;
		}
		String digits = name.substring(1);
		for (int i = 0; i < digits.length(); i++) {
			if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
				return -1;
			}
		}
		int index = Integer.parseInt(digits);
		return (digits.equals(Integer.toString(index)) && index < parameterCount) ? index : -1;
	}

	// An operation's own method key and expression, the same instances on every call: compared by
	// identity first, hashed once.
	private static final class ArgumentKey {

		private final AnnotatedElementKey method;

		private final String expression;

		private final int hash;

		ArgumentKey(AnnotatedElementKey method, String expression) {
			this.method = method;
			this.expression = expression;
			this.hash = 31 * method.hashCode() + expression.hashCode();
		}

		@Override
		public boolean equals(Object other) {
			return this == other || (other instanceof ArgumentKey that && this.hash == that.hash
					&& (this.method == that.method || this.method.equals(that.method))
					&& (this.expression == that.expression || this.expression.equals(that.expression)));
		}

		@Override
		public int hashCode() {
			return this.hash;
		}

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
