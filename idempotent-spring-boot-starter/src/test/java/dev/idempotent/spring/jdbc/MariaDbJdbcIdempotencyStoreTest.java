package dev.idempotent.spring.jdbc;

import dev.idempotent.test.TestDatabase;

/** The JDBC store on MariaDB. */
class MariaDbJdbcIdempotencyStoreTest extends JdbcIdempotencyStoreTests {

	@Override
	protected TestDatabase database() {
		return TestDatabase.MARIADB;
	}

}
