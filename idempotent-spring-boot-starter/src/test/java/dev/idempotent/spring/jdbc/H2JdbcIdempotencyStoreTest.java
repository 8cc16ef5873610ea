package dev.idempotent.spring.jdbc;

import dev.idempotent.test.TestDatabase;

/** The JDBC store on H2. */
class H2JdbcIdempotencyStoreTest extends JdbcIdempotencyStoreTests {

	@Override
	protected TestDatabase database() {
		return TestDatabase.H2;
	}

}
