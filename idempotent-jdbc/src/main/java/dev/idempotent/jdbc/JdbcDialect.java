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

import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * The SQL that differs between databases: how a claim inserts if absent, how a duplicate's read
 * sees the latest committed row, how expired rows are purged in batches, and how the database's
 * clock is read.
 */
enum JdbcDialect {

	/**
	 * One upsert claims a free key or takes over an expired row; it waits for a concurrent insert
	 * of the same key to commit or roll back, and never fails the surrounding transaction.
	 */
	POSTGRESQL {

		@Override
		String claim(String table) {
			return "INSERT INTO " + table + " AS r (" + COLUMNS + ") VALUES (?, 'IN_PROGRESS', ?, ?, ?, ?, NULL) "
					+ "ON CONFLICT (storage_key) DO UPDATE SET state = EXCLUDED.state, "
					+ "owner_token = EXCLUDED.owner_token, fingerprint = EXCLUDED.fingerprint, "
					+ "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, outcome = NULL "
					+ "WHERE r.expires_at <= ?";
		}

		@Override
		boolean claimTakesOverExpiredRows() {
			return true;
		}

		@Override
		String purge(String table) {
			// SKIP LOCKED: rows a running transaction holds are left for the next round.
			return "DELETE FROM " + table + " WHERE storage_key IN (SELECT storage_key FROM " + table
					+ " WHERE expires_at <= ? LIMIT ? FOR UPDATE SKIP LOCKED) AND expires_at <= ?";
		}

		@Override
		@Nullable String currentTimeMicros() {
			// clock_timestamp(), not now(): now() stands still for the whole transaction.
			return "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000) AS BIGINT)";
		}

	},

	/**
	 * MariaDB and MySQL (InnoDB): a plain insert, a duplicate-key error meaning "taken" (it fails the
	 * statement, not the transaction), and a locking read so a duplicate sees the latest committed
	 * row even under REPEATABLE READ.
	 */
	MYSQL {

		@Override
		String readForClaim(String table) {
			return find(table) + " LOCK IN SHARE MODE";
		}

		@Override
		String purge(String table) {
			return "DELETE FROM " + table + " WHERE expires_at <= ? LIMIT ?";
		}

		@Override
		@Nullable String currentTimeMicros() {
			// UTC, so the session's time zone and its daylight-saving changes play no part.
			return "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))";
		}

	},

	/** H2: a plain insert and a duplicate-key error meaning "taken". */
	H2 {

		@Override
		String purge(String table) {
			return "DELETE FROM " + table + " WHERE expires_at <= ? FETCH FIRST ? ROWS ONLY";
		}

		@Override
		@Nullable String currentTimeMicros() {
			// Within a transaction H2 gives the time the transaction began: a reading there lags by its age.
			return "SELECT DATEDIFF(MICROSECOND, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', CURRENT_TIMESTAMP)";
		}

	},

	/** Any other database: standard SQL only, purged in one statement. */
	GENERIC;

	static final String COLUMNS = "storage_key, state, owner_token, fingerprint, created_at, expires_at, outcome";

	static JdbcDialect of(String databaseProductName) {
		String name = databaseProductName.toLowerCase(Locale.ROOT);
		if (name.contains("postgres")) {
			return POSTGRESQL;
		}
		if (name.contains("mariadb") || name.contains("mysql")) {
			return MYSQL;
		}
		if (name.equals("h2")) {
			return H2;
		}
		return GENERIC;
	}

	/**
	 * Inserts an {@code IN_PROGRESS} row (key, owner, fingerprint, created, expires, and for a
	 * dialect that takes over expired rows, now). One row changed means the key was claimed.
	 */
	String claim(String table) {
		return "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, 'IN_PROGRESS', ?, ?, ?, ?, NULL)";
	}

	/** Whether {@link #claim} takes over an expired row itself, or a duplicate-key error reports it. */
	boolean claimTakesOverExpiredRows() {
		return false;
	}

	/** Reads the row that holds a key a claim could not take. */
	String readForClaim(String table) {
		return find(table);
	}

	String find(String table) {
		return "SELECT " + COLUMNS + " FROM " + table + " WHERE storage_key = ?";
	}

	/** Deletes at most a batch (parameters: now, batch size[, now]) of expired rows. */
	String purge(String table) {
		return "DELETE FROM " + table + " WHERE expires_at <= ?";
	}

	/**
	 * Reads the database's current time, in microseconds since the epoch, as one {@code BIGINT}
	 * column; {@code null} when the store does not know how, and the JVM's clock is used instead.
	 */
	@Nullable String currentTimeMicros() {
		return null;
	}

	/** Whether {@link #purge} takes a batch size, so it is repeated until a batch comes back short. */
	boolean purgesInBatches() {
		return this != GENERIC;
	}

}
