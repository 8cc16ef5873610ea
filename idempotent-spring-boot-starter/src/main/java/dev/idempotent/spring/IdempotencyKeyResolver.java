package dev.idempotent.spring;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.CachedExpressionEvaluator;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.expression.EvaluationContext;
import org.springframework.expression.Expression;
import org.springframework.util.ClassUtils;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Reads the raw idempotency key of a call: the {@link Idempotent#key()} SpEL expression over the
 * arguments (parsed once per method), else the {@link Idempotent#header()} of the current HTTP
 * request. Returns {@code null} when there is no key; the engine turns that into a 400.
 */
public class IdempotencyKeyResolver extends CachedExpressionEvaluator {

	private static final ClassLoader CLASS_LOADER = IdempotencyKeyResolver.class.getClassLoader();

	private static final boolean SERVLET_PRESENT = ClassUtils
		.isPresent("org.springframework.web.context.request.ServletRequestAttributes", CLASS_LOADER)
			&& ClassUtils.isPresent("jakarta.servlet.http.HttpServletRequest", CLASS_LOADER);

	private final Map<ExpressionKey, Expression> expressions = new ConcurrentHashMap<>(64);

	private final @Nullable BeanFactory beanFactory;

	public IdempotencyKeyResolver(@Nullable BeanFactory beanFactory) {
		this.beanFactory = beanFactory;
	}

	/**
	 * The key as the call carries it, not yet validated, or {@code null} if it carries none.
	 */
	public @Nullable String resolveKey(IdempotentOperation operation, @Nullable Object target, Object[] arguments) {
		if (operation.keyExpression() == null) {
			return SERVLET_PRESENT ? ServletHeaders.header(operation.header()) : null;
		}
		Object value = evaluate(operation, target, arguments);
		return (value != null) ? value.toString() : null;
	}

	private @Nullable Object evaluate(IdempotentOperation operation, @Nullable Object target, Object[] arguments) {
		Method method = operation.method();
		EvaluationContext context = new MethodBasedEvaluationContext(new KeyRoot(method, arguments, target), method,
				arguments, getParameterNameDiscoverer());
		if (this.beanFactory != null && context instanceof MethodBasedEvaluationContext methodContext) {
			methodContext.setBeanResolver(new BeanFactoryResolver(this.beanFactory));
		}
		String expression = operation.keyExpression();
		AnnotatedElementKey methodKey = operation.methodKey();
		return getExpression(this.expressions, methodKey, expression).getValue(context);
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

	private static final class ServletHeaders {

		static @Nullable String header(String name) {
			RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
			if (!(attributes instanceof ServletRequestAttributes servlet)) {
				return null;
			}
			HttpServletRequest request = servlet.getRequest();
			return request.getHeader(name);
		}

	}

}
