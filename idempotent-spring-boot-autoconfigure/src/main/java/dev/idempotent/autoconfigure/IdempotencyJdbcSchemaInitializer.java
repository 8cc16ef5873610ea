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
package dev.idempotent.autoconfigure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

import dev.idempotent.jdbc.JdbcSchema;

import org.springframework.boot.jdbc.init.PropertiesBasedDataSourceScriptDatabaseInitializer;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.Resource;

/**
 * Creates the JDBC store's table from the platform's schema script when
 * {@code idempotent.jdbc.initialize-schema} says so, for the configured table name
 * ({@link JdbcSchema#forTable}). It is a Spring Boot database initializer, so beans that depend on
 * database initialization wait for it.
 */
public class IdempotencyJdbcSchemaInitializer
		extends PropertiesBasedDataSourceScriptDatabaseInitializer<IdempotencyJdbcProperties> {

	private final String tableName;

	public IdempotencyJdbcSchemaInitializer(DataSource dataSource, IdempotencyJdbcProperties properties) {
		super(dataSource, properties);
		this.tableName = properties.getTableName();
	}

	@Override
	protected void runScripts(Scripts scripts) {
		Charset encoding = (scripts.getEncoding() != null) ? scripts.getEncoding() : StandardCharsets.UTF_8;
		List<Resource> forTable = new ArrayList<>();
		for (Resource script : scripts) {
			String sql = JdbcSchema.forTable(read(script, encoding), this.tableName);
			forTable.add(new ByteArrayResource(sql.getBytes(encoding), script.getDescription()));
		}
		super.runScripts(new Scripts(forTable).continueOnError(scripts.isContinueOnError())
			.separator(scripts.getSeparator())
			.encoding(encoding));
	}

	private static String read(Resource script, Charset encoding) {
		try {
			return script.getContentAsString(encoding);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not read " + script, ex);
		}
	}

}
