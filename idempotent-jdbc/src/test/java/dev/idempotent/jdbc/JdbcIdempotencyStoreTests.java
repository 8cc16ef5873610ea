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

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.IdempotencyStoreContractTest;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The JDBC store keeps the store contract on each database it supports, on a clock the test moves;
 * and on the database's clock, with bounded statements and fences. A subclass names the database.
 */
abstract class JdbcIdempotencyStoreTests extends IdempotencyStoreContractTest {

	private static final Map<TestDatabase, HikariDataSource> dataSources = new ConcurrentHashMap<>();

	private final JdbcIdempotencyStore store = new JdbcIdempotencyStore(dataSource(), "idempotency_record", clock());

	/** The database this test runs on. */
	protected abstract TestDatabase database();

	/** A pool on the database, with the store's table created by the shipped schema script. */
	protected DataSource dataSource() {
		return dataSources.computeIfAbsent(database(), (database) -> {
			HikariDataSource dataSource = database.dataSource(24);
			createSchema(dataSource, JdbcIdempotencyStore.DEFAULT_TABLE_NAME);
			return dataSource;
		});
	}

	// Creates the table with the shipped script, as an application without Spring Boot would.
	private void createSchema(DataSource dataSource, String tableName) {
		String platform = switch (database()) {
			case POSTGRESQL -> "postgresql";
			case MARIADB -> "mariadb";
			case H2 -> "h2";
		};
		JdbcSchema.create(dataSource, platform, tableName);
		assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT COUNT(*) FROM " + tableName + " WHERE 1 = 0",
				Integer.class))
			.as("schema script ran")
			.isZero();
	}

	@Override
	protected IdempotencyStore store() {
		return this.store;
	}

	@Test
	void theSchemaScriptCanRunAgainOnAnExistingTable() {
		store().tryClaim(key("kept"), "owner-1", null, LONG_LEASE);
		createSchema(dataSource(), JdbcIdempotencyStore.DEFAULT_TABLE_NAME);
		assertThat(store().find(key("kept"))).isPresent();
	}

	@Test
	void keysCompareExactly() {
		assertThat(store().tryClaim(key("Orders"), "owner-1", null, LONG_LEASE).isAcquired()).isTrue();
		assertThat(store().tryClaim(key("orders"), "owner-2", null, LONG_LEASE).isAcquired())
			.as("a key differing in case only is another key")
			.isTrue();
		assertThat(store().tryClaim(key("orders "), "owner-3", null, LONG_LEASE).isAcquired())
			.as("a trailing space makes another key")
			.isTrue();
	}

	@Test
	void purgeDeletesExpiredRowsAndKeepsLiveOnes() {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource());
		store().tryClaim(key("expiring"), "owner-1", null, shortLease());
		store().tryClaim(key("completed"), "owner-2", null, LONG_LEASE);
		store().complete(key("completed"), "owner-2", "x", shortLease());
		store().tryClaim(key("live"), "owner-3", null, LONG_LEASE);
		elapse(shortLease());
		assertThat(this.store.purgeExpired()).isGreaterThanOrEqualTo(2);
		Integer rows = jdbc.queryForObject("SELECT COUNT(*) FROM idempotency_record WHERE storage_key IN (?, ?, ?)",
				Integer.class, key("expiring"), key("completed"), key("live"));
		assertThat(rows).as("only the live row is left").isEqualTo(1);
		assertThat(store().find(key("live"))).isPresent();
	}

	@Test
	void purgeGoesOnPastOneBatch() {
		JdbcTemplate jdbc = new JdbcTemplate(dataSource());
		jdbc.batchUpdate("INSERT INTO idempotency_record (storage_key, state, owner_token, created_at, expires_at) "
				+ "VALUES (?, 'IN_PROGRESS', 'owner', 0, ?)", IntStream.range(0, 1234)
					.mapToObj((i) -> new Object[] { key("bulk-" + i), clock().millis() })
					.toList());
		assertThat(this.store.purgeExpired()).isGreaterThanOrEqualTo(1234);
		assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM idempotency_record WHERE storage_key LIKE ?",
				Integer.class, key("bulk-") + "%")).isZero();
	}

	@Test
	void aConfiguredTableNameIsCreatedAndUsed() {
		String table = "idem_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
		createSchema(dataSource(), table);
		JdbcTemplate jdbc = new JdbcTemplate(dataSource());
		try {
			JdbcIdempotencyStore custom = new JdbcIdempotencyStore(dataSource(), table, clock());
			assertThat(custom.tryClaim(key("k"), "owner-1", "fp", LONG_LEASE).isAcquired()).isTrue();
			assertThat(custom.complete(key("k"), "owner-1", "done", RETENTION)).isTrue();
			assertThat(jdbc.queryForObject("SELECT outcome FROM " + table + " WHERE storage_key = ?", String.class,
					key("k"))).isEqualTo("done");
			assertThat(store().find(key("k"))).as("the default table holds nothing of it").isEmpty();
		}
		finally {
			jdbc.execute("DROP TABLE " + table);
		}
	}

	@Test
	void aTableNameMustBeAnIdentifier() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new JdbcIdempotencyStore(dataSource(), "records; DROP TABLE x", clock()));
	}

	@Test
	void aClaimCarriesAFenceThatGrowsWithEveryClaimOfTheKey() {
		ClaimResult first = store().tryClaim(key("fenced"), "owner-1", null, shortLease());
		assertThat(first.fence()).as("an acquired claim has a fence").isPositive();
		store().release(key("fenced"), "owner-1");
		ClaimResult second = store().tryClaim(key("fenced"), "owner-2", null, shortLease());
		assertThat(second.fence()).as("a claim after a release").isGreaterThan(first.fence());
		elapse(shortLease());
		ClaimResult third = store().tryClaim(key("fenced"), "owner-3", null, shortLease());
		assertThat(third.isAcquired()).isTrue();
		assertThat(third.fence()).as("a claim after the lease lapsed").isGreaterThan(second.fence());
		store().issueToken(key("token"), shortLease());
		assertThat(store().tryClaimToken(key("token"), "owner-4", null, shortLease()).fence())
			.as("a token claim")
			.isGreaterThan(third.fence());
	}

	@Test
	void fencesGrowAcrossStoresOnTheDatabaseClock() {
		JdbcIdempotencyStore one = onDatabaseClock(Clock.systemUTC());
		JdbcIdempotencyStore other = onDatabaseClock(Clock.systemUTC());
		ClaimResult first = one.tryClaim(key("fenced"), "owner-1", null, LONG_LEASE);
		assertThat(one.release(key("fenced"), "owner-1")).isTrue();
		ClaimResult second = other.tryClaim(key("fenced"), "owner-2", null, LONG_LEASE);
		assertThat(first.fence()).isPositive();
		assertThat(second.fence()).isGreaterThan(first.fence());
	}

	@Test
	void aStoreWhoseClockRunsAheadDoesNotTakeOverALiveClaimOnTheDatabaseClock() {
		JdbcIdempotencyStore correct = onDatabaseClock(Clock.systemUTC());
		JdbcIdempotencyStore ahead = onDatabaseClock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)));
		assertThat(correct.tryClaim(key("live"), "owner-1", null, Duration.ofMinutes(1)).isAcquired()).isTrue();
		ClaimResult taken = ahead.tryClaim(key("live"), "owner-2", null, Duration.ofMinutes(1));
		assertThat(taken.isAcquired()).as("the claim is live for another 60 s by the database's clock").isFalse();
		assertThat(taken.existing().owner()).isEqualTo("owner-1");
		Clock aheadJvm = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10));
		assertThat(Duration.between(aheadJvm.instant(), taken.existing().expiresAt()))
			.as("the time left, as the instance that runs ahead reckons it (its Retry-After)")
			.isBetween(Duration.ofSeconds(50), Duration.ofSeconds(61));
		assertThat(ahead.find(key("live"))).as("and visible to the store that runs ahead").isPresent();
		assertThat(correct.complete(key("live"), "owner-1", "done", RETENTION)).isTrue();
	}

	@Test
	void aClaimOfAStoreWhoseClockRunsBehindExpiresOnTimeOnTheDatabaseClock() throws InterruptedException {
		JdbcIdempotencyStore correct = onDatabaseClock(Clock.systemUTC());
		JdbcIdempotencyStore behind = onDatabaseClock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10)));
		Duration lease = Duration.ofSeconds(3);
		long claimedAt = System.nanoTime();
		assertThat(behind.tryClaim(key("lease"), "owner-1", null, lease).isAcquired()).isTrue();
		ClaimResult early = correct.tryClaim(key("lease"), "owner-2", null, lease);
		if (System.nanoTime() - claimedAt < lease.toNanos()) {
			assertThat(early.isAcquired()).as("the lease has not lapsed yet").isFalse();
		}
		Poll.until("the lease lapsed", () -> correct.tryClaim(key("lease"), "owner-2", null, lease).isAcquired());
		assertThat(Duration.ofNanos(System.nanoTime() - claimedAt)).as("no sooner than the lease")
			.isGreaterThanOrEqualTo(lease.minusMillis(500));
		assertThat(behind.extend(key("lease"), "owner-1", lease)).as("the first claim is gone").isFalse();
	}

	@Test
	void aClaimWaitingLongerThanTheTimeoutForARunningTransactionFindsTheKeyInProgress() throws Exception {
		JdbcIdempotencyStore bounded = new JdbcIdempotencyStore(dataSource(), JdbcIdempotencyStore.DEFAULT_TABLE_NAME,
				clock(), Duration.ofSeconds(1));
		TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource()));
		CountDownLatch claimed = new CountDownLatch(1);
		CountDownLatch finish = new CountDownLatch(1);
		CompletableFuture<Boolean> holder = CompletableFuture.supplyAsync(() -> transaction.execute((status) -> {
			boolean acquired = bounded.tryClaim(key("held"), "owner-1", "fp", LONG_LEASE).isAcquired();
			claimed.countDown();
			try {
				finish.await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return acquired;
		}));
		try {
			assertThat(claimed.await(30, TimeUnit.SECONDS)).isTrue();
			long start = System.nanoTime();
			ClaimResult duplicate = CompletableFuture
				.supplyAsync(() -> bounded.tryClaim(key("held"), "owner-2", "fp", LONG_LEASE))
				.get(15, TimeUnit.SECONDS);
			assertThat(duplicate.isAcquired()).isFalse();
			assertThat(duplicate.existing().state()).isEqualTo(RecordState.IN_PROGRESS);
			assertThat(duplicate.existing().expiresAt()).as("worth asking again after about the timeout")
				.isAfter(clock().instant());
			assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the claim waited for the timeout")
				.isGreaterThanOrEqualTo(Duration.ofMillis(900));
		}
		finally {
			finish.countDown();
		}
		assertThat(holder.get(30, TimeUnit.SECONDS)).isTrue();
		assertThat(store().find(key("held"))).hasValueSatisfying((r) -> assertThat(r.owner()).isEqualTo("owner-1"));
	}

	@Test
	void theTimeoutIsWholeSecondsRoundedUpAndMustBePositive() {
		assertThat(new JdbcIdempotencyStore(dataSource(), "t", clock(), Duration.ofMillis(1500)).timeoutSeconds())
			.isEqualTo(2);
		assertThat(new JdbcIdempotencyStore(dataSource(), "t", clock(), Duration.ofMillis(10)).timeoutSeconds())
			.isEqualTo(1);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new JdbcIdempotencyStore(dataSource(), "t", clock(), Duration.ZERO))
			.withMessageContaining("timeout");
	}

	/** A store on the database's clock, measured against the given JVM clock. */
	private JdbcIdempotencyStore onDatabaseClock(Clock jvm) {
		return JdbcIdempotencyStore.onDatabaseClock(dataSource(), JdbcIdempotencyStore.DEFAULT_TABLE_NAME, jvm,
				JdbcIdempotencyStore.DEFAULT_TIMEOUT);
	}

}
