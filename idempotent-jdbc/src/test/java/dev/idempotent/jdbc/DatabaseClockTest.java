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
package dev.idempotent.jdbc;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import dev.idempotent.test.ManualClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The database's clock as the JVM sees it: the local clock plus a measured offset. */
class DatabaseClockTest {

	private final ManualClock local = new ManualClock();

	// The database's clock runs 5 minutes ahead of the local one, until a test says otherwise.
	private final AtomicLong skewMicros = new AtomicLong(Duration.ofMinutes(5).toNanos() / 1_000);

	private long databaseMicros() {
		return this.local.millis() * 1_000 + this.skewMicros.get();
	}

	@Test
	void tellsTheDatabasesTimeAsTheLocalClockMoves() {
		DatabaseClock clock = new DatabaseClock(this.local, this::databaseMicros, Duration.ofSeconds(30));
		assertThat(clock.millis()).isEqualTo(this.local.millis() + Duration.ofMinutes(5).toMillis());
		this.local.advance(Duration.ofSeconds(7));
		assertThat(clock.instant()).isEqualTo(this.local.instant().plus(Duration.ofMinutes(5)));
	}

	@Test
	void measuresTheOffsetAgainAfterTheRefreshInterval() {
		DatabaseClock clock = new DatabaseClock(this.local, this::databaseMicros, Duration.ZERO);
		assertThat(clock.offsetMicros()).isEqualTo(Duration.ofMinutes(5).toNanos() / 1_000);
		this.skewMicros.set(-Duration.ofSeconds(3).toNanos() / 1_000);
		assertThat(clock.offsetMicros()).isEqualTo(-Duration.ofSeconds(3).toNanos() / 1_000);
	}

	@Test
	void keepsThePreviousOffsetWhenTheDatabaseCannotBeAskedAgain() {
		AtomicLong reads = new AtomicLong();
		DatabaseClock clock = new DatabaseClock(this.local, () -> {
			if (reads.incrementAndGet() > 1) {
				throw new IllegalStateException("database down");
			}
			return databaseMicros();
		}, Duration.ZERO);
		long offset = clock.offsetMicros();
		assertThat(clock.offsetMicros()).isEqualTo(offset);
		assertThat(reads).hasValueGreaterThan(1);
	}

	@Test
	void failsWhenTheFirstReadingFails() {
		DatabaseClock clock = new DatabaseClock(this.local, () -> {
			throw new IllegalStateException("database down");
		}, Duration.ofSeconds(30));
		assertThatIllegalStateException().isThrownBy(clock::millis).withMessage("database down");
	}

}
