package dev.idempotent.spring.jdbc;

import dev.idempotent.test.TestDatabase;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Transactional mode on PostgreSQL. */
class PostgresJdbcTransactionalModeTest extends JdbcTransactionalModeTests {

	@DynamicPropertySource
	static void database(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url", TestDatabase.POSTGRESQL::url);
	}

	@Override
	protected int sessionsWaitingForALock(JdbcTemplate jdbc) {
		Integer waiting = jdbc.queryForObject("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
				+ "AND datname = current_database()", Integer.class);
		return (waiting != null) ? waiting : 0;
	}

}
