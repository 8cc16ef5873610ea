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
import dev.idempotent.spring.IdempotencyTokenOperations;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.codec.JsonOutcomeCodecFactory;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.context.expression.AnnotatedElementKey;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.MethodClassKey;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;
import org.springframework.util.StringValueResolver;

/**
 * Finds {@link Idempotent} on a method and resolves it into an {@link IdempotencyOperation}, once per
 * method and target class. A misconfigured annotation fails on first use with a message naming the
 * method.
 */
public class IdempotencyOperationSource {

	private static final Pattern VARIABLE = Pattern.compile("#([A-Za-z_][A-Za-z0-9_]*)");

	private static final Pattern POSITIONAL = Pattern.compile("[pa]\\d+|root|this");

	private final Map<MethodClassKey, Optional<IdempotencyOperation>> cache = new ConcurrentHashMap<>(256);

	private final ParameterNameDiscoverer parameterNames = new DefaultParameterNameDiscoverer();

	private final IdempotencyDefaults defaults;

	private final StringValueResolver valueResolver;

	private final JsonOutcomeCodecFactory codecs;

	private final List<IdempotencyTransport> transports;

	/**
	 * @param defaults what a method gets where its annotation says nothing
	 * @param valueResolver resolves placeholders in the annotation's durations
	 * @param codecs reads and writes the methods' outcomes
	 * @param transports the kinds of invocation, in order: a method's calls go through the first that
	 * supports it, else through the last
	 */
	public IdempotencyOperationSource(IdempotencyDefaults defaults, StringValueResolver valueResolver,
			JsonOutcomeCodecFactory codecs, List<? extends IdempotencyTransport> transports) {
		if (transports.isEmpty()) {
			throw new IllegalArgumentException("At least one transport is needed; the last one is the default");
		}
		this.defaults = defaults;
		this.valueResolver = valueResolver;
		this.codecs = codecs;
		this.transports = List.copyOf(transports);
	}

	/**
	 * The operation for a method, or {@code null} when it is not {@link Idempotent}.
	 * @throws IllegalStateException if the annotation is misconfigured
	 */
	public @Nullable IdempotencyOperation getOperation(Method method, @Nullable Class<?> targetClass) {
		MethodClassKey cacheKey = new MethodClassKey(method, targetClass);
		Optional<IdempotencyOperation> cached = this.cache.get(cacheKey);
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

	private @Nullable IdempotencyOperation resolve(Method method, @Nullable Class<?> targetClass) {
		Idempotent annotation = findAnnotation(method, targetClass);
		if (annotation == null) {
			return null;
		}
		Method specific = AopUtils.getMostSpecificMethod(method, targetClass);
		String where = ClassUtils.getQualifiedMethodName(specific, targetClass);
		String name = annotation.token() ? IdempotencyTokenOperations.tokenOperationName(annotation, where)
				: StringUtils.hasText(annotation.name()) ? annotation.name().trim() : where;
		String keyExpression = expression(specific, annotation.key(), where);
		String scopeExpression = expression(specific, annotation.scope(), where);
		String header = StringUtils.hasText(annotation.header()) ? annotation.header().trim()
				: this.defaults.header();
		Duration lease = duration(annotation.lease(), this.defaults.lease(), "lease", where);
		if (lease.compareTo(this.defaults.minimumLease()) < 0) {
			throw new IllegalStateException("@Idempotent on " + where + ": the lease of " + lease + " is shorter than "
					+ "three times the store timeout of " + this.defaults.storeTimeout() + " (idempotent.store.timeout): "
					+ "a renewal that times out would leave no time for another before the lease lapses. Use a lease "
					+ "of at least " + this.defaults.minimumLease() + " (idempotent.lease or the annotation's lease), "
					+ "or a shorter store timeout");
		}
		Duration retention = duration(annotation.retention(), this.defaults.retention(), "retention", where);
		IdempotencyTransport transport = transport(specific);
		boolean future = FutureReturnType.returnsFuture(specific);
		if (future && !transport.supportsFutures()) {
			throw new IllegalStateException("@Idempotent on " + where + ": a " + specific.getReturnType().getSimpleName()
					+ " is supported on plain method calls only, not through " + transport.getClass().getSimpleName());
		}
		boolean publisher = ReactiveReturnType.returnsPublisher(specific);
		if (publisher && !transport.supportsPublishers()) {
			throw new IllegalStateException("@Idempotent on " + where + ": a " + specific.getReturnType().getSimpleName()
					+ " is supported on plain method calls and WebFlux handlers only, not through "
					+ transport.getClass().getSimpleName());
		}
		if (!publisher && transport.requiresPublishers()) {
			throw new IllegalStateException("@Idempotent on " + where + ": through "
					+ transport.getClass().getSimpleName() + " the method must return a Mono or a Flux, since its "
					+ "call starts on subscription, off the event loop; a " + specific.getReturnType().getSimpleName()
					+ " would make the store's calls block the thread that serves the request");
		}
		rejectAsynchronous(specific, where);
		Duration awaitCompletion = StringUtils.hasText(annotation.awaitCompletion())
				? duration(annotation.awaitCompletion(), Duration.ZERO, "awaitCompletion", where)
				: transport.awaitCompletion(lease);
		ExceptionPolicy exceptions = exceptionPolicy(annotation, where);
		IdempotencyPolicy policy = new IdempotencyPolicy(annotation.onDuplicate(), lease, retention, awaitCompletion,
				exceptions, annotation.token());
		IdempotencyOperation.Returns returns = future ? IdempotencyOperation.Returns.FUTURE
				: publisher ? ReactiveReturnType.returns(specific) : IdempotencyOperation.Returns.VALUE;
		return new IdempotencyOperation(name, specific, new AnnotatedElementKey(specific, targetClass), keyExpression,
				scopeExpression, header, annotation.fingerprint(), transport, policy,
				future ? this.codecs.forType(FutureReturnType.valueType(specific), exceptions,
						specific.getDeclaringClass().getClassLoader())
						: publisher ? this.codecs.forType(ReactiveReturnType.valueType(specific), exceptions,
								specific.getDeclaringClass().getClassLoader())
								: this.codecs.forMethod(specific, exceptions),
				returns);
	}

	private IdempotencyTransport transport(Method method) {
		int last = this.transports.size() - 1;
		for (IdempotencyTransport transport : this.transports.subList(0, last)) {
			if (transport.supports(method)) {
				return transport;
			}
		}
		return this.transports.get(last);
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
		this.defaults.keepOn().stream().filter((type) -> !named.contains(type)).forEach(keepOn::add);
		List<Class<? extends Throwable>> releaseOn = new ArrayList<>(List.of(annotation.releaseOn()));
		this.defaults.releaseOn().stream().filter((type) -> !named.contains(type)).forEach(releaseOn::add);
		ExceptionPolicy policy;
		try {
			policy = new ExceptionPolicy(keepOn, releaseOn);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@Idempotent on " + where + ": " + ex.getMessage(), ex);
		}
		for (Class<? extends Throwable> kept : keepOn) {
			String unbuildable = Modifier.isAbstract(kept.getModifiers()) ? null
					: JsonOutcomeCodecFactory.whyNotRebuildable(kept);
			if (unbuildable != null) {
				throw new IllegalStateException("@Idempotent(keepOn = " + kept.getName() + ") on " + where
						+ ": a kept failure is rebuilt from its fields for its duplicates, but " + unbuildable);
			}
		}
		return policy;
	}

	// Of the asynchronous return types, CompletableFuture, CompletionStage, Mono and Flux themselves are supported.
	private static void rejectAsynchronous(Method method, String where) {
		Class<?> type = method.getReturnType();
		if ((Future.class.isAssignableFrom(type) || CompletionStage.class.isAssignableFrom(type)
				|| type.getName().startsWith("org.reactivestreams.") || type.getName().startsWith("reactor.core.")
				|| type.getName().startsWith("kotlinx.coroutines.")) && !FutureReturnType.returnsFuture(method)
				&& !ReactiveReturnType.returnsPublisher(method)) {
			throw new IllegalStateException("@Idempotent does not support the asynchronous return type ("
					+ type.getName() + ") on " + where + ": the call would be recorded before it finished. Supported: "
					+ "plain values, CompletableFuture<T>, CompletionStage<T>, Mono<T>, Flux<T> and suspend functions; "
					+ "not yet: other Futures or Publishers, Kotlin Flows");
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
			duration = Durations.parse((resolved != null) ? resolved.trim() : "");
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("@Idempotent(" + attribute + " = \"" + text + "\") on " + where
					+ " is not a duration; use e.g. \"30s\", \"5m\" or \"PT30S\"", ex);
		}
		if (duration.isNegative() || (duration.isZero() && !fallback.isZero())) {
			throw new IllegalStateException("@Idempotent(" + attribute + " = \"" + text + "\") on " + where
					+ " must be positive");
		}
		if (duration.getNano() % 1_000_000 != 0) {
			// Stores keep time in milliseconds: 500us would be a lease of 0 ms, deleted at once.
			throw new IllegalStateException("@Idempotent(" + attribute + " = \"" + text + "\") on " + where
					+ " must be a whole number of milliseconds, was " + duration);
		}
		return duration;
	}

}
