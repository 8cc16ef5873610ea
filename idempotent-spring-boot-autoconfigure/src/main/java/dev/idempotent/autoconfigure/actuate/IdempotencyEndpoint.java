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
package dev.idempotent.autoconfigure.actuate;

import java.security.Principal;
import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;

/**
 * The {@code idempotency} endpoint: an operator reads the record of a key ({@code GET}) and releases a
 * stuck one ({@code DELETE}), named by operation, key and, where the calls had them, principal and
 * scope: {@code /actuator/idempotency?operation=orders&key=order-1&principal=alice}.
 * <p>
 * Answers 404 when there is no record. A stored outcome (a response body) is shown only when
 * {@code management.endpoint.idempotency.show-outcome} is set. A web endpoint only: its answers are
 * HTTP statuses, and a key is released over HTTP, where the application secures it. A malformed key
 * or a failing store throws the library's exception, answered as the application answers it (a
 * problem detail with the starter's web support).
 */
@WebEndpoint(id = "idempotency")
public class IdempotencyEndpoint {

	private static final Logger logger = LoggerFactory.getLogger(IdempotencyEndpoint.class);

	private final IdempotencyEngine engine;

	private final boolean showOutcome;

	/**
	 * @param engine reads and deletes the records
	 * @param showOutcome whether a record's stored outcome is shown
	 */
	public IdempotencyEndpoint(IdempotencyEngine engine, boolean showOutcome) {
		this.engine = engine;
		this.showOutcome = showOutcome;
	}

	/** The record of a key, or {@code null} (404) when there is none. */
	@ReadOperation
	public @Nullable IdempotencyRecordDescriptor record(String operation, String key, @Nullable String principal,
			@Nullable String scope) {
		return this.engine.records().find(operation, principal, scope, key)
			.map((record) -> describe(operation, key, principal, scope, record))
			.orElse(null);
	}

	/**
	 * Deletes the record of a key whatever its state, so the next call with that key runs: the repair of
	 * a key stuck after a crash, or of an outcome that must not be replayed. Logged at WARN.
	 * @return the record as it was before, or 404 when there was none
	 */
	@DeleteOperation
	public WebEndpointResponse<IdempotencyRecordDescriptor> release(SecurityContext securityContext, String operation,
			String key, @Nullable String principal, @Nullable String scope) {
		Optional<IdempotencyRecord> record = this.engine.records().find(operation, principal, scope, key);
		if (record.isEmpty() || !this.engine.records().delete(operation, principal, scope, key)) {
			return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
		}
		Principal operator = securityContext.getPrincipal();
		logger.warn("Idempotency record deleted through the actuator endpoint by {}; the next call with its key runs "
				+ "[operation={}, key={}, principal={}, scope={}, state={}, storageKey={}]",
				(operator != null) ? operator.getName() : "an unauthenticated caller", operation, key, principal,
				scope, record.get().state(), record.get().key());
		return new WebEndpointResponse<>(describe(operation, key, principal, scope, record.get()));
	}

	private IdempotencyRecordDescriptor describe(String operation, String key, @Nullable String principal,
			@Nullable String scope, IdempotencyRecord record) {
		return new IdempotencyRecordDescriptor(operation, key, principal, scope, record.key(), record.state(),
				record.createdAt(), record.expiresAt(), record.fingerprint() != null,
				this.showOutcome ? record.outcome() : null);
	}

	/**
	 * One record, as the endpoint shows it.
	 *
	 * @param operation the operation
	 * @param key the client key
	 * @param principal the caller scope, or {@code null}
	 * @param scope the further scope, or {@code null}
	 * @param storageKey the key in the store (for a Redis {@code GET} or a {@code SELECT})
	 * @param state running or completed
	 * @param createdAt when the key was claimed
	 * @param expiresAt when the store drops the record (lease or retention), when known
	 * @param fingerprint whether the record holds a request fingerprint
	 * @param outcome the stored outcome, only when shown
	 */
	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record IdempotencyRecordDescriptor(String operation, String key, @Nullable String principal,
			@Nullable String scope, String storageKey, RecordState state, Instant createdAt,
			@Nullable Instant expiresAt, boolean fingerprint, @Nullable String outcome) {
	}

}
