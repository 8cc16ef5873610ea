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
package dev.idempotent.example.webflux;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UserDetailsRepositoryReactiveAuthenticationManager;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.ReactiveUserDetailsPasswordService;
import org.springframework.security.core.userdetails.ReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import reactor.core.scheduler.Schedulers;

/**
 * HTTP Basic with two demo users, as in the servlet example. Idempotency records are scoped by the user,
 * so the same key sent by alice and by bob means two operations. The actuator is for the operator
 * {@code admin} only; health is open to load balancers.
 * <p>
 * The demo passwords stay {@code {noop}}, and are never hashed at login: the users are served through a
 * plain {@link ReactiveUserDetailsService}, not the {@link MapReactiveUserDetailsService} itself, which is
 * also a {@link ReactiveUserDetailsPasswordService} that would store them as BCrypt at first login; and
 * the password encoder never asks for an upgrade, since Spring Security's reactive login otherwise
 * hashes a {@code {noop}} password with BCrypt on every request (and throws the hash away), tens of
 * milliseconds of CPU each. A real service keeps BCrypt (or better) and tokens instead of a password
 * per request.
 * <p>
 * Nothing is handed to another thread either: the API keeps no saved request (the default cache looks
 * for one in a web session, and WebFlux makes each new session on a worker thread and hands the
 * request on to another), and a plain password is compared where the request is, not on a worker
 * thread as a hash would be. On two cores, one request at a time, those hand-offs took about a third
 * of a request's CPU.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

	@Bean
	SecurityWebFilterChain api(ServerHttpSecurity http) {
		return http.authorizeExchange((exchanges) -> exchanges.pathMatchers("/actuator/health")
			.permitAll()
			.pathMatchers("/actuator/**")
			.hasRole("ADMIN")
			.anyExchange()
			.authenticated())
			.httpBasic(Customizer.withDefaults())
			.csrf((csrf) -> csrf.disable())
			.requestCache((cache) -> cache.requestCache(NoOpServerRequestCache.getInstance()))
			.securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
			.build();
	}

	@Bean
	PasswordEncoder passwordEncoder() {
		PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
		return new PasswordEncoder() {

			@Override
			public String encode(CharSequence rawPassword) {
				return encoder.encode(rawPassword);
			}

			@Override
			public boolean matches(CharSequence rawPassword, String encodedPassword) {
				return encoder.matches(rawPassword, encodedPassword);
			}

			@Override
			public boolean upgradeEncoding(String encodedPassword) {
				return false;
			}

		};
	}

	@Bean
	ReactiveAuthenticationManager authenticationManager(ReactiveUserDetailsService users,
			PasswordEncoder passwordEncoder) {
		UserDetailsRepositoryReactiveAuthenticationManager manager = new UserDetailsRepositoryReactiveAuthenticationManager(
				users);
		manager.setPasswordEncoder(passwordEncoder);
		manager.setScheduler(Schedulers.immediate());
		return manager;
	}

	@Bean
	ReactiveUserDetailsService users() {
		MapReactiveUserDetailsService users = new MapReactiveUserDetailsService(
				User.withUsername("alice").password("{noop}alice").roles("USER").build(),
				User.withUsername("bob").password("{noop}bob").roles("USER").build(),
				User.withUsername("admin").password("{noop}admin").roles("ADMIN").build());
		return users::findByUsername;
	}

}
