package dev.idempotent.spring;

import java.security.Principal;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * The servlet request and response bound to the current thread, if any. Safe to call without the
 * Servlet API or Spring Web on the class path: it then finds no exchange.
 */
final class CurrentHttpExchange {

	private static final ClassLoader CLASS_LOADER = CurrentHttpExchange.class.getClassLoader();

	private static final boolean SERVLET_PRESENT = ClassUtils
		.isPresent("org.springframework.web.context.request.ServletRequestAttributes", CLASS_LOADER)
			&& ClassUtils.isPresent("jakarta.servlet.http.HttpServletRequest", CLASS_LOADER);

	private CurrentHttpExchange() {
	}

	/** A header of the current request, or {@code null}. */
	static @Nullable String header(String name) {
		return SERVLET_PRESENT ? Servlet.header(name) : null;
	}

	/** The name of the current request's principal, or {@code null}. */
	static @Nullable String principalName() {
		return SERVLET_PRESENT ? Servlet.principalName() : null;
	}

	/** The current request as a fingerprint sees it, or {@code null} outside a request. */
	static @Nullable Request request() {
		return SERVLET_PRESENT ? Servlet.snapshot() : null;
	}

	/** Sets a header on the current response, if there is one. */
	static void setResponseHeader(String name, String value) {
		if (SERVLET_PRESENT) {
			Servlet.setResponseHeader(name, value);
		}
	}

	// Loaded only when the Servlet API is present.
	private static final class Servlet {

		static @Nullable String header(String name) {
			HttpServletRequest request = request();
			return (request != null) ? request.getHeader(name) : null;
		}

		static @Nullable String principalName() {
			HttpServletRequest request = request();
			Principal principal = (request != null) ? request.getUserPrincipal() : null;
			return (principal != null) ? principal.getName() : null;
		}

		static @Nullable Request snapshot() {
			HttpServletRequest request = request();
			if (request == null) {
				return null;
			}
			Object body = request.getAttribute(IdempotencyFingerprinter.REQUEST_BODY_ATTRIBUTE);
			return new Request(request.getMethod(), request.getRequestURI(), request.getContentType(),
					request.getParameterMap(), (body instanceof byte[] bytes) ? bytes : null);
		}

		static void setResponseHeader(String name, String value) {
			RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
			if (attributes instanceof ServletRequestAttributes servlet) {
				HttpServletResponse response = servlet.getResponse();
				if (response != null) {
					response.setHeader(name, value);
				}
			}
		}

		private static @Nullable HttpServletRequest request() {
			RequestAttributes attributes = RequestContextHolder.getRequestAttributes();
			return (attributes instanceof ServletRequestAttributes servlet) ? servlet.getRequest() : null;
		}

	}

	/**
	 * What identifies an HTTP request for a fingerprint.
	 *
	 * @param method the HTTP method
	 * @param path the request URI, without the query string
	 * @param contentType the body's content type, or {@code null}
	 * @param parameters query and form parameters
	 * @param body the body as the handler read it ({@code @RequestBody}), or {@code null} if it read none
	 */
	record Request(String method, String path, @Nullable String contentType, Map<String, String[]> parameters,
			byte @Nullable [] body) {
	}

}
