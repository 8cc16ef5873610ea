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
package dev.idempotent.spring;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.aop.framework.autoproxy.AutoProxyUtils;
import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;

/**
 * The operations that take one-time tokens: the names of the {@link Idempotent#token()} methods of
 * the application's beans, found once every singleton exists. Tokens are issued for these operations
 * only, so a client cannot fill the store with tokens no call would accept. A token method without a
 * name, or with a scope, fails the start-up.
 */
public class IdempotencyTokenOperations implements BeanFactoryAware, SmartInitializingSingleton {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyTokenOperations.class);

	private final Set<String> names = ConcurrentHashMap.newKeySet();

	private @Nullable ConfigurableListableBeanFactory beanFactory;

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		if (beanFactory instanceof ConfigurableListableBeanFactory listable) {
			this.beanFactory = listable;
		}
	}

	@Override
	public void afterSingletonsInstantiated() {
		ConfigurableListableBeanFactory factory = this.beanFactory;
		if (factory == null) {
			return;
		}
		for (String beanName : factory.getBeanNamesForType(Object.class, false, false)) {
			if (ScopedProxyUtils.isScopedTarget(beanName)) {
				continue;
			}
			Class<?> type;
			try {
				type = AutoProxyUtils.determineTargetClass(factory, beanName);
			}
			catch (RuntimeException ex) {
				// A bean whose type cannot be told is no bean whose methods the advisor proxies.
				logger.debug("Could not resolve the target class of bean '{}'", beanName, ex);
				continue;
			}
			if (type != null) {
				register(type);
			}
		}
	}

	/**
	 * Adds the token operations of a class, for a bean that is created outside the application context.
	 * @throws IllegalStateException if a token method has no name, or has a scope
	 */
	public void register(Class<?> type) {
		Class<?> userClass = ClassUtils.getUserClass(type);
		Map<Method, Idempotent> annotated = MethodIntrospector.selectMethods(userClass,
				(MethodIntrospector.MetadataLookup<Idempotent>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, Idempotent.class));
		annotated.forEach((method, annotation) -> {
			if (annotation.token()) {
				this.names.add(tokenOperationName(annotation,
						ClassUtils.getQualifiedMethodName(method, userClass)));
			}
		});
	}

	/** Whether an operation takes one-time tokens. */
	public boolean contains(String operation) {
		return this.names.contains(operation);
	}

	/** The operations that take one-time tokens, sorted. */
	public Set<String> names() {
		return new TreeSet<>(this.names);
	}

	/**
	 * The operation of an {@link Idempotent#token()} method: its name, by which clients ask for tokens.
	 * @param where the method, for the message
	 * @throws IllegalStateException if the annotation has no name, or has a scope
	 */
	public static String tokenOperationName(Idempotent annotation, String where) {
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

}
