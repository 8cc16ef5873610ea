package dev.idempotent.jdbc;

import dev.idempotent.test.servers.TestDatabase;

/** The JDBC store on H2. */
class H2JdbcIdempotencyStoreTest extends JdbcIdempotencyStoreTests {

	@Override
	protected TestDatabase database() {
		return TestDatabase.H2;
	}

}
