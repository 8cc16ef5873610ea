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
package dev.idempotent.client.http;

import java.io.IOException;

import dev.idempotent.client.IdempotencyKeyPolicy;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpRequest;
import org.springframework.http.client.ClientHttpRequestExecution;
import org.springframework.http.client.ClientHttpRequestInterceptor;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Gives each {@code RestClient} or {@code RestTemplate} request of an unsafe method ({@code POST} and
 * {@code PATCH} by default) an idempotency key, and keeps it across retries made in the interceptor
 * chain.
 * <p>
 * The key is set on the request's own headers. An interceptor that retries by executing the same
 * request again, before this one in the chain or after it, so sends the same key on every attempt. A
 * retry around the call ({@code RetryTemplate}, {@code @Retryable}, resilience4j) builds a new request
 * per attempt: wrap it in an {@link dev.idempotent.client.IdempotencyKeyScope} so that every attempt
 * carries the scope's key. A key the caller set is never replaced.
 * <pre class="code">
 * RestClient orders = RestClient.builder()
 *     .baseUrl("http://orders")
 *     .requestInterceptor(new IdempotencyKeyClientHttpRequestInterceptor())
 *     .build();
 * </pre>
 */
public class IdempotencyKeyClientHttpRequestInterceptor implements ClientHttpRequestInterceptor {

	private final IdempotencyKeyPolicy policy;

	/** An interceptor with {@link IdempotencyKeyPolicy#defaults()}. */
	public IdempotencyKeyClientHttpRequestInterceptor() {
		this(IdempotencyKeyPolicy.defaults());
	}

	/** An interceptor with the given header, methods and key generator. */
	public IdempotencyKeyClientHttpRequestInterceptor(IdempotencyKeyPolicy policy) {
		this.policy = policy;
	}

	@Override
	public ClientHttpResponse intercept(HttpRequest request, byte[] body, ClientHttpRequestExecution execution)
			throws IOException {
		HttpHeaders headers = request.getHeaders();
		if (this.policy.appliesTo(request.getMethod().name()) && !headers.containsHeader(this.policy.header())) {
			headers.set(this.policy.header(), this.policy.newKey());
		}
		return execution.execute(request, body);
	}

}
