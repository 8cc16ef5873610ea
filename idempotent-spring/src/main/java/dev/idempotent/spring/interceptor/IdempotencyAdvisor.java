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

import java.util.function.Supplier;

import dev.idempotent.spring.Idempotent;
import org.aopalliance.aop.Advice;

import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.core.Ordered;
import org.springframework.util.function.SingletonSupplier;

/**
 * Applies {@link IdempotencyInterceptor} to every method that carries {@link Idempotent} (on the
 * class's method or an interface's). The interceptor is fetched on first use, so creating the
 * advisor, which happens early, pulls no store or connection into being.
 */
public class IdempotencyAdvisor extends AbstractPointcutAdvisor {

	private final Pointcut pointcut = new AnnotationMatchingPointcut(null, Idempotent.class, true);

	private final SingletonSupplier<Advice> interceptor;

	public IdempotencyAdvisor(Supplier<? extends Advice> interceptor) {
		this.interceptor = SingletonSupplier.of(interceptor::get);
		// An explicit order, so sorting advisors never asks the advice for one and creates it early.
		// Equal to a transaction advisor's default: registered after it, this advice runs inside the
		// transaction, which the JDBC store's transactional mode relies on.
		setOrder(Ordered.LOWEST_PRECEDENCE);
	}

	@Override
	public Pointcut getPointcut() {
		return this.pointcut;
	}

	@Override
	public Advice getAdvice() {
		return this.interceptor.obtain();
	}

}
