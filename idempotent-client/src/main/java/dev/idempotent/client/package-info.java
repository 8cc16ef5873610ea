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
/**
 * Idempotency keys on the calling side: an {@link dev.idempotent.client.IdempotencyKeyPolicy} says
 * which requests get a key, in which header, made how; an {@link dev.idempotent.client.IdempotencyKeyScope}
 * binds one key to a logical call whose retries happen outside the HTTP client. The interceptors for
 * each client family live in the sub-packages and need only that family on the class path.
 */
@NullMarked
package dev.idempotent.client;

import org.jspecify.annotations.NullMarked;
