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
package dev.idempotent.example;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * HTTP Basic with two demo users. Idempotency records are scoped by the user, so the same key sent
 * by alice and by bob means two operations. The actuator (metrics, Prometheus, the idempotency
 * endpoint, which reads and deletes any user's records) is for the operator {@code admin} only;
 * health is open to load balancers.
 * <p>
 * HTTP Basic checks the password on every request. The demo passwords stay {@code {noop}}: the users
 * are served through a plain {@link UserDetailsService}, not the {@link InMemoryUserDetailsManager}
 * itself, so Spring Security has no password service to upgrade them to BCrypt with at first login,
 * which would cost tens of milliseconds of CPU per request from then on and make the demo, and the
 * load run's {@code /bench} endpoints, look slow under load. A real service keeps BCrypt (or better) and sessions or tokens instead of a password per
 * request.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

	@Bean
	SecurityFilterChain api(HttpSecurity http) throws Exception {
		return http.authorizeHttpRequests((requests) -> requests.requestMatchers("/error", "/actuator/health")
			.permitAll()
			.requestMatchers("/actuator/**")
			.hasRole("ADMIN")
			.anyRequest()
			.authenticated())
			.httpBasic(Customizer.withDefaults())
			.csrf((csrf) -> csrf.disable())
			.sessionManagement((session) -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.build();
	}

	@Bean
	UserDetailsService users() {
		InMemoryUserDetailsManager users = new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}alice").roles("USER").build(),
				User.withUsername("bob").password("{noop}bob").roles("USER").build(),
				User.withUsername("admin").password("{noop}admin").roles("ADMIN").build());
		return users::loadUserByUsername;
	}

}
