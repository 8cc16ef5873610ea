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

import java.util.ArrayList;
import java.util.List;

import dev.idempotent.client.IdempotencyKeyPolicy;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The client side ({@code idempotent.client.*}): which of the HTTP clients Boot builds send an
 * idempotency key, on which methods, in which header.
 */
@ConfigurationProperties("idempotent.client")
public class IdempotencyClientProperties {

	/** Whether the clients Boot builds send idempotency keys at all. */
	private boolean enabled = true;

	/** The header the key goes in; it must match the server's ({@code idempotent.header}). */
	private String header = IdempotencyKeyPolicy.DEFAULT_HEADER;

	/** The HTTP methods a call gets a key on; every retry of the call carries the same key. */
	private List<String> methods = new ArrayList<>(List.of("POST", "PATCH"));

	/** Keys on every {@code RestClient.Builder} from Boot. */
	private final Client restClient = new Client();

	/** Keys on every {@code RestTemplateBuilder} from Boot. */
	private final Client restTemplate = new Client();

	/** Keys on every {@code WebClient.Builder} from Boot. */
	private final Client webClient = new Client();

	/** A Feign {@code RequestInterceptor} bean, which Spring Cloud OpenFeign applies to its clients. */
	private final Client feign = new Client();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public String getHeader() {
		return this.header;
	}

	public void setHeader(String header) {
		this.header = header;
	}

	public List<String> getMethods() {
		return this.methods;
	}

	public void setMethods(List<String> methods) {
		this.methods = methods;
	}

	public Client getRestClient() {
		return this.restClient;
	}

	public Client getRestTemplate() {
		return this.restTemplate;
	}

	public Client getWebClient() {
		return this.webClient;
	}

	public Client getFeign() {
		return this.feign;
	}

	/** The policy these properties describe: a bad header or method fails start-up, naming it. */
	public IdempotencyKeyPolicy toPolicy() {
		IdempotencyKeyPolicy policy;
		try {
			policy = IdempotencyKeyPolicy.defaults().withHeader(this.header);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("idempotent.client.header: " + ex.getMessage(), ex);
		}
		try {
			return policy.withMethods(this.methods);
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("idempotent.client.methods: " + ex.getMessage(), ex);
		}
	}

	/** One kind of client. */
	public static class Client {

		/** Whether this kind of client sends keys. */
		private boolean enabled = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

}
