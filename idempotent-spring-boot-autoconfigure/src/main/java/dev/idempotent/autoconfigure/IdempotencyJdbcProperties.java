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

import java.time.Duration;

import dev.idempotent.jdbc.JdbcIdempotencyStore;
import dev.idempotent.jdbc.JdbcSchema;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.init.DatabaseInitializationProperties;

/**
 * Configuration of the JDBC store ({@code idempotent.jdbc.*}). Schema creation follows Spring
 * Boot's own JDBC-backed features: {@code initialize-schema} is {@code embedded} (only for an
 * embedded database), {@code always} or {@code never}; {@code schema} and {@code platform} pick the
 * script.
 */
@ConfigurationProperties("idempotent.jdbc")
public class IdempotencyJdbcProperties extends DatabaseInitializationProperties {

	/**
	 * Name of the table holding idempotency records, optionally schema-qualified. The shipped
	 * schema scripts create it under this name.
	 */
	private String tableName = "idempotency_record";

	/**
	 * How often expired rows are deleted, on a background thread. Zero turns purging off (expired
	 * rows are still ignored and taken over).
	 */
	private Duration purgeInterval = Duration.ofMinutes(1);

	@Override
	public String getDefaultSchemaLocation() {
		return JdbcSchema.LOCATION;
	}

	public String getTableName() {
		return this.tableName;
	}

	public void setTableName(String tableName) {
		this.tableName = JdbcIdempotencyStore.checkTableName(tableName);
	}

	public Duration getPurgeInterval() {
		return this.purgeInterval;
	}

	public void setPurgeInterval(Duration purgeInterval) {
		if (purgeInterval == null || purgeInterval.isNegative()) {
			throw new IllegalArgumentException("idempotent.jdbc.purge-interval must be zero or positive, was "
					+ purgeInterval);
		}
		this.purgeInterval = purgeInterval;
	}

}
