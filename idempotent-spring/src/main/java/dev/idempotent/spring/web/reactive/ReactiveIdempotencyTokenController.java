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
package dev.idempotent.spring.web.reactive;

import dev.idempotent.core.IssuedToken;
import dev.idempotent.core.UnknownTokenOperationException;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.transport.ReactiveCallContext;
import dev.idempotent.spring.web.IssuedTokenResponse;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.StringUtils;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Issues one-time tokens in a WebFlux application, as the servlet endpoint does:
 * {@code POST /idempotency-tokens?operation=comments} answers {@code 201} with
 * {@code {"token", "expiresAt"}}, a token bound to the caller (from the reactive security context)
 * and the operation; an operation that takes no tokens, or none named, gets {@code 400}. The token is
 * stored off the event loop. Protect the endpoint: all anonymous callers are one caller.
 */
@RestController
public class ReactiveIdempotencyTokenController {

	private final IdempotenceService idempotence;

	public ReactiveIdempotencyTokenController(IdempotenceService idempotence) {
		this.idempotence = idempotence;
	}

	@PostMapping(path = "${idempotent.token.endpoint.path:/idempotency-tokens}",
			produces = MediaType.APPLICATION_JSON_VALUE)
	public Mono<ResponseEntity<IssuedTokenResponse>> issue(
			@RequestParam(name = "operation", required = false) @Nullable String operation) {
		return ReactiveCallContext.start(() -> {
			if (!StringUtils.hasText(operation)) {
				throw new UnknownTokenOperationException("Name the operation to issue a token for: ?operation=...");
			}
			IssuedToken issued = this.idempotence.issueToken(operation.trim());
			// A token is a credential for one call: no cache may keep it.
			return ResponseEntity.status(HttpStatus.CREATED)
				.cacheControl(CacheControl.noStore())
				.body(new IssuedTokenResponse(issued.token(), issued.expiresAt().toString()));
		});
	}

}
