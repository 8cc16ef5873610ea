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
import java.util.List;

import dev.idempotent.spring.transport.IdempotencyOperation;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.ReflectionUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Key expressions: one that only names an argument is read without SpEL, and gives what SpEL gives.
 */
class IdempotencyKeyResolverTests {

	private final IdempotencyKeyResolver resolver = new IdempotencyKeyResolver(null);

	@Test
	void anArgumentNamedByTheExpressionIsTheKey() {
		Object[] arguments = { "k-1", 42, List.of("x") };
		for (String expression : List.of("#key", " #key ", "#count", "#p0", "#a1", "#p2", "#a3", "#p01", "#missing",
				"#key.length()", "#root.args[1]", "#this.args[0]", "#items[0]", "'fixed'", "#p0 + #a1")) {
			assertThat(key(Orders.class, "place", expression, arguments)).as(expression)
				.isEqualTo(spel(Orders.class, "place", expression, arguments));
		}
		assertThat(key(Orders.class, "place", "#count", arguments)).isEqualTo("42");
		assertThat(key(Orders.class, "place", "#a3", arguments)).isNull();
		assertThat(key(Orders.class, "place", "#key", new Object[] { null, 1, List.of() })).isNull();
	}

	@Test
	void aParameterNamedLikeAnIndexIsLeftToSpel() {
		Object[] arguments = { "first", "second" };
		for (String expression : List.of("#p1", "#p0", "#a1", "#a0")) {
			assertThat(key(Odd.class, "call", expression, arguments)).as(expression)
				.isEqualTo(spel(Odd.class, "call", expression, arguments));
		}
	}

	private @Nullable String key(Class<?> type, String methodName, String expression, Object[] arguments) {
		Method method = method(type, methodName);
		IdempotencyOperation operation = new IdempotencyOperation("op", method, new AnnotatedElementKey(method, type),
				expression, null, "Idempotency-Key", false, null, null, null);
		// Twice: the first call decides how the expression is read, the second reads it that way.
		this.resolver.resolveKey(operation, null, arguments);
		return this.resolver.resolveKey(operation, null, arguments);
	}

	private static @Nullable String spel(Class<?> type, String methodName, String expression, Object[] arguments) {
		Method method = method(type, methodName);
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(
				new IdempotencyKeyResolver.KeyRoot(method, arguments, null), method, arguments,
				new DefaultParameterNameDiscoverer());
		Object value = new SpelExpressionParser().parseExpression(expression).getValue(context);
		return (value != null) ? value.toString() : null;
	}

	private static Method method(Class<?> type, String name) {
		for (Method method : ReflectionUtils.getDeclaredMethods(type)) {
			if (method.getName().equals(name)) {
				return method;
			}
		}
		throw new IllegalArgumentException(name);
	}

	static class Orders {

		String place(String key, int count, List<String> items) {
			return key + count + items;
		}

	}

	static class Odd {

		String call(String p1, String a0) {
			return p1 + a0;
		}

	}

}
