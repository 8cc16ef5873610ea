package dev.idempotent.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.idempotent.core.ExceptionPolicy;
import dev.idempotent.core.IdempotencyPolicy;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodClassKey;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;
import org.springframework.util.StringValueResolver;

/**
 * Finds {@link Idempotent} on a method and resolves it into an {@link IdempotentOperation}, once per
 * method and target class. A misconfigured annotation fails on first use with a message naming the
 * method.
 */
public class IdempotentOperationSource {

	private static final Pattern VARIABLE = Pattern.compile("#([A-Za-z_][A-Za-z0-9_]*)");

	private static final boolean WEB_PRESENT = ClassUtils.isPresent(
			"org.springframework.web.bind.annotation.RequestMapping", IdempotentOperationSource.class.getClassLoader());

	private static final Pattern POSITIONAL = Pattern.compile("[pa]\\d+|root|this");

	private final Map<MethodClassKey, Optional<IdempotentOperation>> cache = new ConcurrentHashMap<>(256);

	private final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

	private final IdempotentProperties properties;

	private final StringValueResolver valueResolver;

	private final JsonOutcomeCodecFactory codecs;

	public IdempotentOperationSource(IdempotentProperties properties, StringValueResolver valueResolver,
			JsonOutcomeCodecFactory codecs) {
		this.properties = properties;
		this.valueResolver = valueResolver;
		this.codecs = codecs;
	}

	/**
	 * The operation for a method, or {@code null} when it is not {@link Idempotent}.
	 * @throws IllegalStateException if the annotation is misconfigured
	 */
	public @Nullable IdempotentOperation getOperation(Method method, @Nullable Class<?> targetClass) {
		MethodClassKey cacheKey = new MethodClassKey(method, targetClass);
		Optional<IdempotentOperation> cached = this.cache.get(cacheKey);
		if (cached == null) {
			cached = Optional.ofNullable(resolve(method, targetClass));
			this.cache.put(cacheKey, cached);
		}
		return cached.orElse(null);
	}

	private @Nullable Idempotent findAnnotation(Method method, @Nullable Class<?> targetClass) {
		Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
		Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(specific, Idempotent.class);
		return (annotation != null || specific == method) ? annotation
				: AnnotatedElementUtils.findMergedAnnotation(method, Idempotent.class);
	}

	private @Nullable IdempotentOperation resolve(Method method, @Nullable Class<?> targetClass) {
		Idempotent annotation = findAnnotation(method, targetClass);
		if (annotation == null) {
			return null;
		}
		Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
		String where = ClassUtils.getQualifiedMethodName(specific, targetClass);
		rejectAsynchronous(specific, where);
		String name = annotation.token() ? tokenOperationName(annotation, where)
				: StringUtils.hasText(annotation.name()) ? annotation.name().trim() : where;
		String keyExpression = expression(specific, annotation.key(), where);
		String scopeExpression = expression(specific, annotation.scope(), where);
		String header = StringUtils.hasText(annotation.header()) ? annotation.header().trim()
				: this.properties.getHeader();
		Duration lease = duration(annotation.lease(), this.properties.getLease(), "lease", where);
		Duration retention = duration(annotation.retention(), this.properties.getRetention(), "retention", where);
		boolean messageListener = MessageListenerCalls.isListener(specific);
		Duration awaitCompletion = StringUtils.hasText(annotation.awaitCompletion())
				? duration(annotation.awaitCompletion(), Duration.ZERO, "awaitCompletion", where)
				: (messageListener ? MessageListenerCalls.awaitCompletion(lease) : Duration.ZERO);
		ExceptionPolicy exceptions = exceptionPolicy(annotation, where);
		IdempotencyPolicy policy = new IdempotencyPolicy(annotation.onDuplicate(), lease, retention, awaitCompletion,
				exceptions, annotation.token());
		boolean webHandler = WEB_PRESENT && Web.isHandler(specific);
		return new IdempotentOperation(name, specific, new AnnotatedElementKey(specific, targetClass), keyExpression,
				scopeExpression, header, annotation.fingerprint(), webHandler, messageListener, policy,
				this.codecs.forMethod(specific, exceptions));
	}

	/**
	 * The operation of an {@link Idempotent#token()} method: its name, by which clients ask for tokens.
	 * @param where the method, for the message
	 * @throws IllegalStateException if the annotation has no name, or has a scope
	 */
	static String tokenOperationName(Idempotent annotation, String where) {
		if (!StringUtils.hasText(annotation.name())) {
			throw new IllegalStateException("@Idempotent(token = true) on " + where
					+ " needs a name: clients ask for tokens by the operation's name");
		}
		if (StringUtils.hasText(annotation.scope())) {
			throw new IllegalStateException("@Idempotent(token = true) on " + where
					+ " cannot have a scope: a token names one call already, and is issued without one");
		}
		return annotation.name().trim();
	}

	private @Nullable String expression(Method method, String expression, String where) {
		if (!StringUtils.hasText(expression)) {
			return null;
		}
		checkParameterNames(method, expression.trim(), where);
		return expression.trim();
	}

	// The annotation's lists come first: a type it names overrides the same type in the properties.
	private ExceptionPolicy exceptionPolicy(Idempotent annotation, String where) {
		List<Class<? extends Throwable>> named = new ArrayList<>(List.of(annotation.keepOn()));
		named.addAll(List.of(annotation.releaseOn()));
		List<Class<? extends Throwable>> keepOn = new ArrayList<>(List.of(annotation.keepOn()));
		this.properties.getKeepOn().stream().filter((type) -> !named.contains(type)).forEach(keepOn::add);
		List<Class<? extends Throwable>> releaseOn = new ArrayList<>(List.of(annotation.releaseOn()));
		this.properties.getReleaseOn().stream().filter((type) -> !named.contains(type)).forEach(releaseOn::add);
		ExceptionPolicy policy;
		try {
			policy = new ExceptionPolicy(keepOn, releaseOn);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@Idempotent on " + where + ": " + ex.getMessage(), ex);
		}
		for (Class<? extends Throwable> kept : keepOn) {
			if (!Modifier.isAbstract(kept.getModifiers()) && JsonOutcomeCodecFactory.rebuilder(kept) == null) {
				throw new IllegalStateException("@Idempotent(keepOn = " + kept.getName() + ") on " + where
						+ ": a kept failure is rebuilt for its duplicates, so it needs a constructor taking "
						+ "(String message), (String message, Throwable cause) or nothing");
			}
		}
		return policy;
	}

	private static void rejectAsynchronous(Method method, String where) {
		Class<?> type = method.getReturnType();
		if (Future.class.isAssignableFrom(type) || CompletionStage.class.isAssignableFrom(type)
				|| type.getName().startsWith("org.reactivestreams.") || type.getName().startsWith("reactor.core.")) {
			throw new IllegalStateException("@Idempotent does not support asynchronous return types (" + type.getName()
					+ ") on " + where + ": the call would be recorded before it finished");
		}
	}

	private void checkParameterNames(Method method, String expression, String where) {
		if (method.getParameterCount() == 0 || this.parameterNames.getParameterNames(method) != null) {
			return;
		}
		Matcher matcher = VARIABLE.matcher(expression);
		while (matcher.find()) {
			if (!POSITIONAL.matcher(matcher.group(1)).matches()) {
				throw new IllegalStateException("@Idempotent(key = \"" + expression + "\") on " + where
						+ " names the parameter '#" + matcher.group(1) + "', but parameter names are not available: "
						+ "compile with '-parameters' or refer to arguments as #p0, #p1, ...");
			}
		}
	}

	private Duration duration(String text, Duration fallback, String attribute, String where) {
		if (!StringUtils.hasText(text)) {
			return fallback;
		}
		String resolved = this.valueResolver.resolveStringValue(text.trim());
		Duration duration;
		try {
			duration = DurationStyle.detectAndParse((resolved != null) ? resolved.trim() : "");
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@Idempotent(" + attribute + " = \"" + text + "\") on " + where
					+ " is not a duration; use e.g. \"30s\", \"5m\" or \"PT30S\"", ex);
		}
		if (duration.isNegative() || (duration.isZero() && !fallback.isZero())) {
			throw new IllegalStateException("@Idempotent(" + attribute + " = \"" + text + "\") on " + where
					+ " must be positive");
		}
		return duration;
	}

	// Loaded only when Spring Web is present.
	private static final class Web {

		static boolean isHandler(Method method) {
			return AnnotatedElementUtils.hasAnnotation(method,
					org.springframework.web.bind.annotation.RequestMapping.class);
		}

	}

}
