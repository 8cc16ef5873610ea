package dev.idempotent.jdbc;

import dev.idempotent.test.servers.TestDatabase;

/** The JDBC store on PostgreSQL. */
class PostgresJdbcIdempotencyStoreTest extends JdbcIdempotencyStoreTests {

	@Override
	protected TestDatabase database() {
		return TestDatabase.POSTGRESQL;
	}

}
