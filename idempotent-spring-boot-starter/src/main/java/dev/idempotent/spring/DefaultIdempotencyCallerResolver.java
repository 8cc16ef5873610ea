package dev.idempotent.spring;

import java.security.Principal;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;

import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.ClassUtils;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The authenticated principal's name: from Spring Security when it is present, else from the current
 * servlet request. Anonymous callers share one scope.
 */
public class DefaultIdempotencyCallerResolver implements IdempotencyCallerResolver {

	private static final ClassLoader CLASS_LOADER = DefaultIdempotencyCallerResolver.class.getClassLoader();

	private static final boolean SECURITY_PRESENT = ClassUtils
		.isPresent("org.springframework.security.core.context.SecurityContextHolder", CLASS_LOADER);

	private static final boolean SERVLET_PRESENT = ClassUtils
		.isPresent("org.springframework.web.context.request.ServletRequestAttributes", CLASS_LOADER)
			&& ClassUtils.isPresent("jakarta.servlet.http.HttpServletRequest", CLASS_LOADER);

	@Override
	public @Nullable String resolveCaller() {
		if (SECURITY_PRESENT) {
			String name = SecurityCaller.name();
			if (name != null) {
				return name;
			}
		}
		return SERVLET_PRESENT ? ServletCaller.name() : null;
	}

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

	private static final class ServletCaller {

		static @Nullable String name() {
			RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
			if (!(attributes instanceof ServletRequestAttributes servlet)) {
				return null;
			}
			HttpServletRequest request = servlet.getRequest();
			Principal principal = request.getUserPrincipal();
			return (principal != null) ? principal.getName() : null;
		}

	}

}
