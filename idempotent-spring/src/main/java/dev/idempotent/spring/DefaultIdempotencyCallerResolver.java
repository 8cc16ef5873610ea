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
package dev.idempotent.spring;

import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.ClassUtils;

/**
 * The authenticated principal's name: from Spring Security when it is present, else from the request
 * served on the thread. Anonymous callers share one scope.
 */
public class DefaultIdempotencyCallerResolver implements IdempotencyCallerResolver {

	private final Supplier<@Nullable String> requestPrincipal;

	/** A resolver that asks Spring Security only. */
	public DefaultIdempotencyCallerResolver() {
		this(() -> null);
	}

	/**
	 * @param requestPrincipal the principal of the request served on the thread, asked when Spring
	 * Security knows none
	 */
	public DefaultIdempotencyCallerResolver(Supplier<@Nullable String> requestPrincipal) {
		this.requestPrincipal = requestPrincipal;
	}

	private static final boolean SECURITY_PRESENT = ClassUtils.isPresent(
			"org.springframework.security.core.context.SecurityContextHolder",
			DefaultIdempotencyCallerResolver.class.getClassLoader());

	@Override
	public @Nullable String resolveCaller() {
		if (SECURITY_PRESENT) {
			String name = SecurityCaller.name();
			if (name != null) {
				return name;
			}
		}
		return this.requestPrincipal.get();
	}

	// Loaded only when Spring Security is present.
	private static final class SecurityCaller {

		static @Nullable String name() {
			Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
			if (authentication == null || !authentication.isAuthenticated()
					|| authentication instanceof AnonymousAuthenticationToken) {
				return null;
			}
			return authentication.getName();
		}

	}

}
