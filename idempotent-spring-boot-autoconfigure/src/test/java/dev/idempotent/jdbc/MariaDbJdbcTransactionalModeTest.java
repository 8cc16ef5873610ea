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

/** Transactional mode on MariaDB. */
class MariaDbJdbcTransactionalModeTest extends JdbcTransactionalModeTests {

	@DynamicPropertySource
	static void database(DynamicPropertyRegistry registry) {
		registry.add("spring.datasource.url", TestDatabase.MARIADB::url);
	}

	@Override
	protected int sessionsWaitingForALock(JdbcTemplate jdbc) {
		// A claim's INSERT still running while the first call's transaction is open can only be waiting
		// for its row lock. The driver prefixes it with the statement's time limit (SET STATEMENT ... FOR).
		Integer waiting = jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
				+ "WHERE COMMAND = 'Query' AND INFO LIKE '%INSERT INTO idempotency_record%'", Integer.class);
		return (waiting != null) ? waiting : 0;
	}

	@Override
	protected void refuseOutcomesContaining(JdbcTemplate jdbc, String marker) {
		// A run killed mid-test may have left it behind.
		jdbc.execute("DROP TRIGGER IF EXISTS test_refuse_outcome");
		jdbc.execute("CREATE TRIGGER test_refuse_outcome BEFORE UPDATE ON idempotency_record FOR EACH ROW "
				+ "IF NEW.outcome LIKE '%" + marker + "%' THEN "
				+ "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'outcome refused'; END IF");
	}

	@Override
	protected void acceptAllOutcomes(JdbcTemplate jdbc) {
		jdbc.execute("DROP TRIGGER IF EXISTS test_refuse_outcome");
	}

}
