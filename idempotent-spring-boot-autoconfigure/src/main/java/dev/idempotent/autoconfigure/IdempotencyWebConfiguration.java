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
import dev.idempotent.spring.web.servlet.IdempotencyProblemHandler;
import dev.idempotent.spring.web.servlet.IdempotencyRequestBodyAdvice;
import dev.idempotent.spring.web.servlet.IdempotencyTokenController;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.ProblemDetail;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * Problem details for library exceptions in a servlet web application, the request body kept for
 * fingerprints, and the token endpoint when it is enabled.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({ ProblemDetail.class, DispatcherServlet.class })
class IdempotencyWebConfiguration {

	@Bean
	@ConditionalOnMissingBean
	IdempotencyProblemHandler idempotencyProblemHandler() {
		return new IdempotencyProblemHandler();
	}

	@Bean
	@ConditionalOnMissingBean
	IdempotencyRequestBodyAdvice idempotentRequestBodyAdvice() {
		return new IdempotencyRequestBodyAdvice();
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty("idempotent.token.endpoint.enabled")
	IdempotencyTokenController idempotencyTokenController(IdempotenceService idempotenceService) {
		return new IdempotencyTokenController(idempotenceService);
	}

}
