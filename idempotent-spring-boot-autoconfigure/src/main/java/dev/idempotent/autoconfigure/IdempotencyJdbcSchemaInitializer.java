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
