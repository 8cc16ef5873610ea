/**
 * Internal, not published. Finds or starts the real servers this project's own tests talk to
 * (Redis, PostgreSQL, MariaDB, RabbitMQ), from an explicit setting, else Testcontainers, else a process
 * the tests start themselves, and the tools that fail them (a TCP proxy to cut, Redis processes to kill).
 */
@NullMarked
package dev.idempotent.test.servers;

import org.jspecify.annotations.NullMarked;

