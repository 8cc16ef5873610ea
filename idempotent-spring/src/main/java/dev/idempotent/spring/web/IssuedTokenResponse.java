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
package dev.idempotent.spring.web;

/**
 * The body of a token issued by the token endpoint, servlet or WebFlux.
 *
 * @param token the token, to send as the operation's idempotency key
 * @param expiresAt when it stops being accepted (ISO-8601, UTC)
 */
public record IssuedTokenResponse(String token, String expiresAt) {
}
