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
package dev.idempotent.client.reactive;

import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.idempotent.client.IdempotencyKeyPolicy;
import reactor.core.publisher.Mono;

import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Gives each {@code WebClient} call of an unsafe method ({@code POST} and {@code PATCH} by default) an
 * idempotency key, and keeps it across the call's retries. Register it with
 * {@link WebClient.Builder#apply(Consumer)}, not {@code filter(...)}:
 * <pre class="code">
 * WebClient orders = WebClient.builder()
 *     .baseUrl("http://orders")
 *     .apply(new IdempotencyKeyExchangeFilterFunction())
 *     .build();
 *
 * orders.post().uri("/orders").bodyValue(request).retrieve().bodyToMono(Order.class)
 *     .retryWhen(Retry.backoff(3, Duration.ofMillis(200)));      // every attempt, one key
 * </pre>
 * A filter alone cannot keep a key across {@code retryWhen}: a retry subscribes to the exchange again,
 * and {@code WebClient} builds a new {@link ClientRequest} and runs the filters again for each
 * subscription. What every subscription shares is the request spec built by
 * {@code webClient.post()...}: so {@link #accept(WebClient.Builder)} also registers a default request
 * that gives each spec a key holder as a request attribute, and the filter takes the key from it, made
 * when the call is first sent and the same for every retry (and for any other subscription to the same
 * {@code Mono}: one {@code Mono} is one logical call). A spec built inside an
 * {@link dev.idempotent.client.IdempotencyKeyScope} takes the scope's key. A key the caller set with
 * {@code header(...)} is never replaced.
 */
public class IdempotencyKeyExchangeFilterFunction implements ExchangeFilterFunction, Consumer<WebClient.Builder> {

	private static final String KEY_ATTRIBUTE = IdempotencyKeyExchangeFilterFunction.class.getName() + ".key";

	private final IdempotencyKeyPolicy policy;

	/** A filter with {@link IdempotencyKeyPolicy#defaults()}. */
	public IdempotencyKeyExchangeFilterFunction() {
		this(IdempotencyKeyPolicy.defaults());
	}

	/** A filter with the given header, methods and key generator. */
	public IdempotencyKeyExchangeFilterFunction(IdempotencyKeyPolicy policy) {
		this.policy = policy;
	}

	/** Registers the filter and the default request that gives each call its key holder. */
	@Override
	public void accept(WebClient.Builder builder) {
		builder.defaultRequest((spec) -> spec.attribute(KEY_ATTRIBUTE, this.policy.keyForCall())).filter(this);
	}

	@Override
	public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
		if (!this.policy.appliesTo(request.method().name()) || request.headers().containsHeader(this.policy.header())) {
			return next.exchange(request);
		}
		if (!(request.attribute(KEY_ATTRIBUTE).orElse(null) instanceof Supplier<?> key)) {
			return Mono.error(new IllegalStateException("IdempotencyKeyExchangeFilterFunction was registered "
					+ "with WebClient.Builder.filter(...), which would give every retry a new key: register it "
					+ "with WebClient.Builder.apply(...)"));
		}
		String value = (String) key.get();
		return next.exchange(ClientRequest.from(request).headers((headers) -> headers.set(this.policy.header(), value))
			.build());
	}

}
