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

import dev.idempotent.test.servers.TestDatabase;

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

	@Override
	protected void refuseOutcomesContaining(JdbcTemplate jdbc, String marker) {
		jdbc.execute("CREATE OR REPLACE FUNCTION test_refuse_outcome() RETURNS trigger AS $$ BEGIN "
				+ "IF NEW.outcome LIKE '%" + marker + "%' THEN RAISE EXCEPTION 'outcome refused'; END IF; "
				+ "RETURN NEW; END $$ LANGUAGE plpgsql");
		// A run killed mid-test may have left it behind.
		jdbc.execute("DROP TRIGGER IF EXISTS test_refuse_outcome ON idempotency_record");
		jdbc.execute("CREATE TRIGGER test_refuse_outcome BEFORE UPDATE ON idempotency_record FOR EACH ROW "
				+ "EXECUTE FUNCTION test_refuse_outcome()");
	}

	@Override
	protected void acceptAllOutcomes(JdbcTemplate jdbc) {
		jdbc.execute("DROP TRIGGER IF EXISTS test_refuse_outcome ON idempotency_record");
		jdbc.execute("DROP FUNCTION IF EXISTS test_refuse_outcome()");
	}

}
