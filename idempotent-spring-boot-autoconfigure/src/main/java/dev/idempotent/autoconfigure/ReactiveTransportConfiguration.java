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
package dev.idempotent.autoconfigure;

import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.web.reactive.IdempotencyReactiveProblemHandler;
import dev.idempotent.spring.web.reactive.ReactiveIdempotencyTokenController;
import dev.idempotent.spring.web.reactive.ReactiveThreadBoundRequest;
import dev.idempotent.spring.web.reactive.WebFluxHandlerTransport;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.ProblemDetail;
import org.springframework.web.filter.reactive.ServerWebExchangeContextFilter;
import org.springframework.web.reactive.DispatcherHandler;

/**
 * The WebFlux transport in a reactive web application: handler methods that return a {@code Mono} or
 * a {@code Flux} read their key from the request, which {@link ServerWebExchangeContextFilter} puts in
 * the subscriber's context, and any {@code @Idempotent} method subscribed to while serving a request
 * reads its key from, and marks its replay on, that request; the library's failures become problem
 * details; and the token endpoint when it is enabled.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ConditionalOnClass({ DispatcherHandler.class, ProblemDetail.class, reactor.core.publisher.Mono.class })
class ReactiveTransportConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ReactiveThreadBoundRequest idempotencyReactiveRequest() {
		return new ReactiveThreadBoundRequest();
	}

	@Bean
	@ConditionalOnMissingBean
	WebFluxHandlerTransport idempotencyWebFluxHandlerTransport(ReactiveThreadBoundRequest request) {
		return new WebFluxHandlerTransport(request);
	}

	@Bean
	@ConditionalOnMissingBean
	ServerWebExchangeContextFilter idempotencyExchangeContextFilter() {
		return new ServerWebExchangeContextFilter();
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyReactiveProblemHandler idempotencyReactiveProblemHandler() {
		return new IdempotencyReactiveProblemHandler();
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty("idempotent.token.endpoint.enabled")
	ReactiveIdempotencyTokenController idempotencyReactiveTokenController(IdempotenceService idempotenceService) {
		return new ReactiveIdempotencyTokenController(idempotenceService);
	}

}
