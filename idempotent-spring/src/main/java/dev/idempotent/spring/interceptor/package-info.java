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
 * Internal; public for wiring. The advisor and interceptor that apply
 * {@link dev.idempotent.spring.Idempotent}, the operation source that reads each annotated method once,
 * and the key resolver and fingerprinter that the transports and the interceptor use. An application
 * replaces one by defining a bean of its type; the classes hold no transport-specific code.
 */
@NullMarked
package dev.idempotent.spring.interceptor;

import org.jspecify.annotations.NullMarked;

