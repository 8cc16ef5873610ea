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
package dev.idempotent.client.feign;

import java.util.Collection;

import dev.idempotent.client.IdempotencyKeyPolicy;
import feign.RequestInterceptor;
import feign.RequestTemplate;

/**
 * Gives each Feign call of an unsafe method ({@code POST} and {@code PATCH} by default) an idempotency
 * key, and keeps it across the call's retries.
 * <p>
 * Feign builds one {@link RequestTemplate} per call and applies every interceptor to that same template
 * before each attempt its {@code Retryer} allows. So the first attempt sets the key on the template, and
 * each retry finds it there and leaves it: every attempt of a call carries one key, and the next call
 * starts from a new template and gets a new key. A key the caller set (a {@code @Headers} or
 * {@code @HeaderMap} parameter, another interceptor) is never replaced. Inside an
 * {@link dev.idempotent.client.IdempotencyKeyScope} the scope's key is used, so retries around the
 * Feign call (Spring's {@code @Retryable}, resilience4j) keep it too.
 * <pre class="code">
 * Orders orders = Feign.builder()
 *     .requestInterceptor(new IdempotencyKeyRequestInterceptor())
 *     .retryer(new Retryer.Default(100, 1000, 5))
 *     .target(Orders.class, "http://orders");
 * </pre>
 * With Spring Cloud OpenFeign, declare it as a bean in the client's configuration: every
 * {@code RequestInterceptor} bean is applied.
 */
public class IdempotencyKeyRequestInterceptor implements RequestInterceptor {

	private final IdempotencyKeyPolicy policy;

	/** An interceptor with {@link IdempotencyKeyPolicy#defaults()}. */
	public IdempotencyKeyRequestInterceptor() {
		this(IdempotencyKeyPolicy.defaults());
	}

	/** An interceptor with the given header, methods and key generator. */
	public IdempotencyKeyRequestInterceptor(IdempotencyKeyPolicy policy) {
		this.policy = policy;
	}

	@Override
	public void apply(RequestTemplate template) {
		if (!this.policy.appliesTo(template.method()) || hasKey(template)) {
			return;
		}
		// A literal: a generated key must never be read as a Feign template expression.
		template.headerLiteral(this.policy.header(), this.policy.newKey());
	}

	private boolean hasKey(RequestTemplate template) {
		Collection<String> values = template.headers().get(this.policy.header());
		return values != null && !values.isEmpty();
	}

}
