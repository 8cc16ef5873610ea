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
 * API. What an application uses: {@link dev.idempotent.spring.Idempotent} on a method,
 * {@link dev.idempotent.spring.IdempotenceService} to release, inspect and issue keys, and
 * {@link dev.idempotent.spring.IdempotencyCallerResolver} to scope keys by something other than the
 * principal. The machinery lives in the sub-packages.
 */
@NullMarked
package dev.idempotent.spring;

import org.jspecify.annotations.NullMarked;

