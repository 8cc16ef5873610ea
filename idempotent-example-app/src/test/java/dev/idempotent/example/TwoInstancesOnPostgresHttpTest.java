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
