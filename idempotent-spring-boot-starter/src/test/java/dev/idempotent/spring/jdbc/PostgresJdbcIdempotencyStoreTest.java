package dev.idempotent.spring.jdbc;

import dev.idempotent.test.TestDatabase;

/** The JDBC store on PostgreSQL. */
class PostgresJdbcIdempotencyStoreTest extends JdbcIdempotencyStoreTests {

	@Override
	protected TestDatabase database() {
		return TestDatabase.POSTGRESQL;
	}

}
