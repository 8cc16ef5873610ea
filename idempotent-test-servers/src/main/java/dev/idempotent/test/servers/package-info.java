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
 * Internal, not published. Finds or starts the real servers this project's own tests talk to
 * (Redis, PostgreSQL, MariaDB, RabbitMQ), from an explicit setting, else Testcontainers, else a process
 * the tests start themselves, and the tools that fail them (a TCP proxy to cut, Redis processes to kill).
 */
@NullMarked
package dev.idempotent.test.servers;

import org.jspecify.annotations.NullMarked;

