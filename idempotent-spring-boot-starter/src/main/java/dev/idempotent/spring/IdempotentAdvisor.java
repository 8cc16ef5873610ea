package dev.idempotent.spring;

import java.util.function.Supplier;

import org.aopalliance.aop.Advice;

import org.springframework.aop.Pointcut;
import org.springframework.aop.support.AbstractPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.util.function.SingletonSupplier;

/**
 * Applies {@link IdempotentInterceptor} to every method that carries {@link Idempotent} (on the
 * class's method or an interface's). The interceptor is fetched on first use, so creating the
 * advisor, which happens early, pulls no store or connection into being.
 */
public class IdempotentAdvisor extends AbstractPointcutAdvisor {

	private final Pointcut pointcut = new AnnotationMatchingPointcut(null, Idempotent.class, true);

	private final SingletonSupplier<Advice> interceptor;

	public IdempotentAdvisor(Supplier<? extends Advice> interceptor) {
		this.interceptor = SingletonSupplier.of(interceptor::get);
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
