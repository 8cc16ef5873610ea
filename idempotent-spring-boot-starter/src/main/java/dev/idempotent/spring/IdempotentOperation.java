package dev.idempotent.spring;

import java.lang.reflect.Method;
import java.time.Duration;

import dev.idempotent.core.DuplicatePolicy;
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
 * @param header the HTTP header carrying the key when there is no expression
 * @param onDuplicate what a duplicate of a completed call gets
 * @param lease the claim's lease
 * @param retention how long the outcome is kept
 * @param codec reads and writes the method's outcome
 */
public record IdempotentOperation(String name, Method method, AnnotatedElementKey methodKey,
		@Nullable String keyExpression, String header, DuplicatePolicy onDuplicate, Duration lease, Duration retention, OutcomeCodec<Object> codec) {
}
