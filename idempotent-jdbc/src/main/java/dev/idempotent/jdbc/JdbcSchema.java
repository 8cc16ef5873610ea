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

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import javax.sql.DataSource;

import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ResourceDatabasePopulator;

/**
 * The store's table, as the schema scripts shipped beside the store create it:
 * {@code dev/idempotent/jdbc/schema-<platform>.sql} for {@code postgresql}, {@code mariadb},
 * {@code mysql} and {@code h2}. The scripts name the table
 * {@value JdbcIdempotencyStore#DEFAULT_TABLE_NAME} and can run again on an existing table; another
 * table name replaces that name and prefixes the names of its constraint and index.
 * <p>
 * In a Spring Boot application, {@code idempotent.jdbc.initialize-schema} runs the script; elsewhere,
 * {@link #create(DataSource, String, String)} does.
 */
public final class JdbcSchema {

	/** Where the scripts are, with Spring Boot's {@code @@platform@@} placeholder. */
	public static final String LOCATION = "classpath:dev/idempotent/jdbc/schema-@@platform@@.sql";

	private static final String DEFAULT = JdbcIdempotencyStore.DEFAULT_TABLE_NAME;

	private JdbcSchema() {
	}

	/**
	 * A schema script's SQL for a table name.
	 * @param script the script as shipped
	 * @param tableName a plain or schema-qualified SQL identifier
	 * @throws IllegalArgumentException if the table name is no such identifier
	 */
	public static String forTable(String script, String tableName) {
		JdbcIdempotencyStore.checkTableName(tableName);
		if (tableName.equals(DEFAULT)) {
			return script;
		}
		String simpleName = tableName.substring(tableName.lastIndexOf('.') + 1);
		return script.replaceAll("\\b" + DEFAULT + "_", Matcher.quoteReplacement(simpleName + "_"))
			.replaceAll("\\b" + DEFAULT + "\\b", Matcher.quoteReplacement(tableName));
	}

	/**
	 * Creates the table, unless it exists, by running the platform's script.
	 * @param platform {@code postgresql}, {@code mariadb}, {@code mysql} or {@code h2}
	 * @param tableName a plain or schema-qualified SQL identifier
	 * @throws IllegalArgumentException if no script is shipped for the platform, or the table name is
	 * no identifier
	 */
	public static void create(DataSource dataSource, String platform, String tableName) {
		ClassPathResource script = new ClassPathResource("dev/idempotent/jdbc/schema-" + platform + ".sql");
		if (!script.exists()) {
			throw new IllegalArgumentException("No schema script for the platform '" + platform
					+ "'; there are scripts for postgresql, mariadb, mysql and h2");
		}
		String sql;
		try {
			sql = forTable(script.getContentAsString(StandardCharsets.UTF_8), tableName);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + script, ex);
		}
		new ResourceDatabasePopulator(new ByteArrayResource(sql.getBytes(StandardCharsets.UTF_8),
				script.getDescription()))
			.execute(dataSource);
	}

}
