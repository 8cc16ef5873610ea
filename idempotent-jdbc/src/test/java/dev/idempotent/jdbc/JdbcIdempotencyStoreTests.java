package dev.idempotent.jdbc;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.test.IdempotencyStoreContractTest;
import dev.idempotent.test.servers.TestDatabase;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.JdbcTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The JDBC store keeps the store contract on each database it supports, on a clock the test moves.
 * A subclass names the database.
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

}
