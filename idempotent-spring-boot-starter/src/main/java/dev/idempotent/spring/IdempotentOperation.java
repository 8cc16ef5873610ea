package dev.idempotent.spring;

import java.lang.reflect.Method;

import dev.idempotent.core.IdempotencyPolicy;
import dev.idempotent.core.OutcomeCodec;
import org.jspecify.annotations.Nullable;

import org.springframework.context.expression.AnnotatedElementKey;

/**
 * What {@link Idempotent} says about one method, resolved once by {@link IdempotentOperationSource} and
 * cached.
 *
 * @param name the operation scope
 * @param method the annotated method
 * @param methodKey the method and target class, for the expression cache
 * @param keyExpression the SpEL key expression, or {@code null} to read {@link #header}
 * @param scopeExpression the SpEL scope expression, or {@code null} for no further scope
 * @param header the HTTP header carrying the key when there is no expression
 * @param fingerprint whether duplicates must be the same request
 * @param webHandler whether the method handles HTTP requests ({@code @RequestMapping}), so its
 * fingerprint covers the request rather than the arguments
 * @param messageListener whether a listener container calls the method ({@code @RabbitListener} and
 * friends), so a duplicate is skipped (acknowledged) or redelivered later rather than answered
 * @param policy duplicates, lease, retention, waiting and exceptions
 * @param codec reads and writes the method's outcome
 */
public record IdempotentOperation(String name, Method method, AnnotatedElementKey methodKey,
		@Nullable String keyExpression, @Nullable String scopeExpression, String header, boolean fingerprint,
		boolean webHandler, boolean messageListener, IdempotencyPolicy policy, OutcomeCodec<Object> codec) {
}
