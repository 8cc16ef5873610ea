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

import dev.idempotent.spring.web.servlet.ServletHandlerTransport;
import dev.idempotent.spring.web.servlet.ServletThreadBoundRequest;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.NoneNestedConditions;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The servlet transport wherever the Servlet API and Spring Web are on the class path, whether or not
 * the application serves HTTP itself: handler methods are fingerprinted by their request, and any
 * {@code @Idempotent} method reads its key from, and marks its replay on, the request served on its
 * thread. Not in a reactive web application, whose handlers and requests are WebFlux's.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({ HttpServletRequest.class, ServletRequestAttributes.class, RequestMapping.class })
@Conditional(ServletTransportConfiguration.NotReactiveWebApplication.class)
class ServletTransportConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ServletThreadBoundRequest idempotencyServletRequest() {
		return new ServletThreadBoundRequest();
	}

	@Bean
	@ConditionalOnMissingBean
	ServletHandlerTransport idempotencyServletHandlerTransport(ServletThreadBoundRequest request) {
		return new ServletHandlerTransport(request);
	}

	static final class NotReactiveWebApplication extends NoneNestedConditions {

		NotReactiveWebApplication() {
			super(ConfigurationPhase.PARSE_CONFIGURATION);
		}

		@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
		static final class Reactive {

		}

	}

}
