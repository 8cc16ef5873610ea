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
package dev.idempotent.spring;

import org.jspecify.annotations.Nullable;

/**
 * Names the caller a call is scoped to, so two callers sending the same key never see each other's
 * records. Define a bean of this type to scope by something else (a tenant, an API client).
 */
@FunctionalInterface
public interface IdempotencyCallerResolver {

	/** The current caller, or {@code null} when the call is anonymous. */
	@Nullable String resolveCaller();

}
