package dev.idempotent.example;

import java.util.List;

import dev.idempotent.test.servers.TestDatabase;

/** Two example instances on one PostgreSQL database, through the JDBC store. */
class TwoInstancesOnPostgresHttpTest extends TwoInstancesHttpTests {

	@Override
	protected List<String> storeArguments() {
		return List.of("--idempotent.store.type=jdbc", "--spring.datasource.url=" + TestDatabase.POSTGRESQL.url(),
				"--idempotent.jdbc.initialize-schema=always");
	}

}
