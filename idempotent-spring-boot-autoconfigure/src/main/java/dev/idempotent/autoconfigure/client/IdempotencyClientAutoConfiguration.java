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
package dev.idempotent.autoconfigure.client;

import dev.idempotent.client.IdempotencyKeyPolicy;
import dev.idempotent.client.feign.IdempotencyKeyRequestInterceptor;
import dev.idempotent.client.http.IdempotencyKeyClientHttpRequestInterceptor;
import dev.idempotent.client.reactive.IdempotencyKeyExchangeFilterFunction;
import feign.RequestInterceptor;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The client side, when {@code idempotent-client} is on the classpath: every call of an unsafe method
 * made with a client Boot builds ({@code RestClient.Builder}, {@code RestTemplateBuilder},
 * {@code WebClient.Builder}) carries an idempotency key, the same key on each of its retries, and a
 * Feign {@code RequestInterceptor} bean does the same for Spring Cloud OpenFeign's clients.
 * {@code idempotent.client.enabled=false} turns it all off, and
 * {@code idempotent.client.<kind>.enabled=false} one kind of client. Independent of the server side.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration",
		"org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration",
		"org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration" })
@ConditionalOnClass(IdempotencyKeyPolicy.class)
@ConditionalOnBooleanProperty(name = "idempotent.client.enabled", matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyClientProperties.class)
public final class IdempotencyClientAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	IdempotencyKeyPolicy idempotencyKeyPolicy(IdempotencyClientProperties properties) {
		return properties.toPolicy();
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ RestClientCustomizer.class, IdempotencyKeyClientHttpRequestInterceptor.class })
	@ConditionalOnBooleanProperty(name = "idempotent.client.rest-client.enabled", matchIfMissing = true)
	static class RestClientKeys {

		@Bean
		RestClientCustomizer idempotencyKeyRestClientCustomizer(IdempotencyKeyPolicy policy) {
			return (builder) -> builder.requestInterceptor(new IdempotencyKeyClientHttpRequestInterceptor(policy));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ RestTemplateCustomizer.class, IdempotencyKeyClientHttpRequestInterceptor.class })
	@ConditionalOnBooleanProperty(name = "idempotent.client.rest-template.enabled", matchIfMissing = true)
	static class RestTemplateKeys {

		@Bean
		RestTemplateCustomizer idempotencyKeyRestTemplateCustomizer(IdempotencyKeyPolicy policy) {
			return (restTemplate) -> restTemplate.getInterceptors()
				.add(new IdempotencyKeyClientHttpRequestInterceptor(policy));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ WebClientCustomizer.class, WebClient.class })
	@ConditionalOnBooleanProperty(name = "idempotent.client.web-client.enabled", matchIfMissing = true)
	static class WebClientKeys {

		@Bean
		WebClientCustomizer idempotencyKeyWebClientCustomizer(IdempotencyKeyPolicy policy) {
			return (builder) -> builder.apply(new IdempotencyKeyExchangeFilterFunction(policy));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(RequestInterceptor.class)
	@ConditionalOnBooleanProperty(name = "idempotent.client.feign.enabled", matchIfMissing = true)
	static class FeignKeys {

		@Bean
		@ConditionalOnMissingBean
		IdempotencyKeyRequestInterceptor idempotencyKeyRequestInterceptor(IdempotencyKeyPolicy policy) {
			return new IdempotencyKeyRequestInterceptor(policy);
		}

	}

}
