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
 * API. The idempotency protocol, free of any framework: the
 * {@link dev.idempotent.core.IdempotencyEngine} that decides, the one-time
 * {@link dev.idempotent.core.IdempotencyTokens} and the operator's {@link dev.idempotent.core.IdempotencyRecords}
 * beside it, the policies of a call, and the exceptions a caller sees. Stores plug in below, through
 * {@link dev.idempotent.core.store}.
 */
@NullMarked
package dev.idempotent.core;

import org.jspecify.annotations.NullMarked;

