package dev.idempotent.autoconfigure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import javax.sql.DataSource;

import dev.idempotent.jdbc.JdbcIdempotencyStore;

import org.springframework.boot.jdbc.init.PropertiesBasedDataSourceScriptDatabaseInitializer;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.core.io.Resource;

/**
 * Creates the JDBC store's table from the platform's schema script when
 * {@code idempotent.jdbc.initialize-schema} says so. It is a Spring Boot database initializer, so
 * beans that depend on database initialization wait for it. The scripts name the table
 * {@value JdbcIdempotencyStore#DEFAULT_TABLE_NAME}; a configured table name replaces that name, and
 * prefixes the names of its constraint and index.
 */
public class IdempotencyJdbcSchemaInitializer
		extends PropertiesBasedDataSourceScriptDatabaseInitializer<IdempotencyJdbcProperties> {

	private static final String DEFAULT = JdbcIdempotencyStore.DEFAULT_TABLE_NAME;

	private final String tableName;

	public IdempotencyJdbcSchemaInitializer(DataSource dataSource, IdempotencyJdbcProperties properties) {
		super(dataSource, properties);
		this.tableName = properties.getTableName();
	}

	@Override
	protected void runScripts(Scripts scripts) {
		if (this.tableName.equals(DEFAULT)) {
			super.runScripts(scripts);
			return;
		}
		Charset encoding = (scripts.getEncoding() != null) ? scripts.getEncoding() : StandardCharsets.UTF_8;
		String simpleName = this.tableName.substring(this.tableName.lastIndexOf('.') + 1);
		List<Resource> renamed = new ArrayList<>();
		for (Resource script : scripts) {
			String sql = read(script, encoding)
				.replaceAll("\\b" + DEFAULT + "_", Matcher.quoteReplacement(simpleName + "_"))
				.replaceAll("\\b" + DEFAULT + "\\b", Matcher.quoteReplacement(this.tableName));
			renamed.add(new ByteArrayResource(sql.getBytes(encoding), script.getDescription()));
		}
		super.runScripts(new Scripts(renamed).continueOnError(scripts.isContinueOnError())
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
