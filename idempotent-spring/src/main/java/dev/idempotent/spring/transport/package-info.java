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
 * SPI. The transport seam: an {@link dev.idempotent.spring.transport.IdempotencyTransport} says, for
 * one kind of invocation, where a call's key, caller and fingerprint come from and how its answers are
 * given. One is chosen per method when its operation is resolved; the
 * {@link dev.idempotent.spring.transport.MethodCallTransport} is the default, for plain method calls.
 * Servlet handlers ({@code web.servlet}) and message listeners ({@code messaging}) are implementations
 * in packages of their own.
 */
@NullMarked
package dev.idempotent.spring.transport;

import org.jspecify.annotations.NullMarked;

