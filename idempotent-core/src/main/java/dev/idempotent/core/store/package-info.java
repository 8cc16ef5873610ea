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
 * SPI. What a store implements: {@link dev.idempotent.core.store.IdempotencyStore}, a handful of
 * atomic primitives over one record per storage key, the records and claim results they exchange, and
 * the {@link dev.idempotent.core.store.InMemoryIdempotencyStore} for one JVM. A store never decides
 * policy; the engine does. A store proves itself on the contract suite of the {@code idempotent-test}
 * module.
 */
@NullMarked
package dev.idempotent.core.store;

import org.jspecify.annotations.NullMarked;

