package dev.idempotent.jdbc;

import dev.idempotent.test.servers.TestDatabase;

/** The JDBC store on MariaDB. */
class MariaDbJdbcIdempotencyStoreTest extends JdbcIdempotencyStoreTests {

	@Override
	protected TestDatabase database() {
		return TestDatabase.MARIADB;
	}

}
