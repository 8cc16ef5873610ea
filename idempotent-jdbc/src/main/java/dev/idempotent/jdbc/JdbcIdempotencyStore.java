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

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sql.DataSource;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.jdbc.support.JdbcUtils;
import org.springframework.jdbc.support.MetaDataAccessException;
import org.springframework.transaction.support.ResourceHolderSupport;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * An {@link IdempotencyStore} on a relational database: one row per storage key, claimed by
 * inserting it, so the primary key makes the claim atomic.
 * <p>
 * The table is created by the schema script for the platform ({@code schema-postgresql.sql},
 * {@code schema-mariadb.sql}, {@code schema-mysql.sql}, {@code schema-h2.sql} next to this class).
 * Expiry is a column compared with this store's clock: an expired row is invisible, a claim takes it
 * over, and {@link #purgeExpired()} deletes such rows in batches, off the request path. Every write
 * after the claim is guarded by the owner token.
 * <h2>Time</h2>
 * Unless a {@link Clock} is given, the store keeps time by the database's clock: it reads the
 * database's current time on first use and every 30 seconds, and adds the measured offset to the
 * JVM's clock. So application instances whose own clocks disagree still agree on when a claim or a
 * record expires, and none takes over a claim that is live by the others' reckoning. (A database
 * whose time the store cannot read, one it does not know, is timed by the JVM's clock.) The records
 * it returns give their times on the JVM's clock, which their readers compare them with. A given
 * {@code Clock} is used as it is, for tests that move time by hand.
 * <h2>Bounded statements</h2>
 * Every statement runs with the store's own timeout (default {@linkplain #DEFAULT_TIMEOUT two}
 * seconds, as a JDBC query timeout in whole seconds), whatever the application sets elsewhere; a
 * transaction with less time left keeps its shorter limit. A statement that runs out of time
 * fails like any other storage failure, except a claim, see below.
 * <h2>Fences</h2>
 * An acquired claim carries a {@linkplain ClaimResult#fence() fence}: the store's time at the claim
 * in microseconds, made strictly greater than every fence this store instance gave before. Claims
 * made through other instances get greater fences as long as those instances' readings of the
 * database's clock agree to within the time between the two claims, which for a second claim of a
 * key is at least the lease the first one let lapse; no column stores it.
 * <p>
 * A live one-time token is a row in state {@code TOKEN} under the storage key its call will claim.
 * Claiming it is one {@code UPDATE} of that row into the record, so a token is consumed exactly once;
 * in a transaction, a rollback gives the token back (unless the call ended with a kept failure, see
 * below).
 * <h2>Transactional mode</h2>
 * Statements run through a {@link JdbcTemplate}, so when a call runs inside a Spring transaction on
 * the same {@link DataSource}, its claim and its completion are written in that transaction and
 * commit or roll back with the business data: exactly once with the business database
 * ({@link #joinsTransaction} says so for such a claim). Until that transaction ends, its claim row
 * is locked and invisible to others, so a concurrent duplicate's claim waits for the outcome and
 * then replays or rejects it, or, after a rollback, runs. The wait is bounded by the store's
 * timeout: a claim that runs out of time while the database still answers (the key is held by a
 * running transaction) finds the key {@linkplain RecordState#IN_PROGRESS in progress}, which the
 * caller gets as "in progress" (HTTP 409 with {@code Retry-After}). On PostgreSQL such a claim
 * leaves the duplicate's own transaction, if it has one, unusable, so it rolls back.
 * <p>
 * Such a claim needs no lease renewal: the row lock holds it, and another connection's
 * {@code UPDATE} would only wait for that lock. So {@link #extend} answers {@code true} at once,
 * without a statement, for a claim whose transaction is still running, and its completion or
 * release ignores the lease, which cannot have been taken over. A completion that cannot be stored
 * marks the transaction rollback-only, so the business data never commits without its outcome.
 * Complete and release must be called on the transaction's thread, as the engine does.
 * <p>
 * A kept business failure ({@link #completeFailure}) is the call's final answer even though its
 * exception usually rolls the transaction back: it is written in the transaction, and when that
 * transaction rolls back it is written again, once the rollback is done, on a connection of its own.
 * A retry then gets the failure again, and a consumed token stays consumed. Between the rollback and
 * that write, the key is free for a moment: a duplicate that claims it then (one that was waiting
 * for the row lock, say) runs, and its claim is left alone; that is no second run, since the first
 * one's work was rolled back.
 */
public class JdbcIdempotencyStore implements IdempotencyStore {

	/** The default table name, the one the shipped schema scripts create. */
	public static final String DEFAULT_TABLE_NAME = "idempotency_record";

	/** The default statement timeout: 2 seconds. */
	public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

	private static final Logger logger = LoggerFactory.getLogger(JdbcIdempotencyStore.class);

	private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

	private static final String IN_PROGRESS = RecordState.IN_PROGRESS.name();

	private static final String COMPLETED = RecordState.COMPLETED.name();

	private static final String TOKEN = "TOKEN";

	// The owner column of a live token: no claim's owner, and not empty, which some databases store as NULL.
	private static final String TOKEN_OWNER = "-";

	// The owner of a claim that is known to be held by a running transaction, but not by whom.
	private static final String UNKNOWN_OWNER = "?";

	private static final int CLAIM_ATTEMPTS = 10;

	private static final int DEADLOCK_ATTEMPTS = 5;

	private static final int PURGE_BATCH = 500;

	private final DataSource dataSource;

	private final JdbcTemplate jdbc;

	private final String table;

	private final Clock clock;

	private final Duration timeout;

	private final int timeoutSeconds;

	private final AtomicLong lastFence = new AtomicLong();

	private volatile @Nullable Statements statements;

	/** Claims made inside a still-running transaction, by {@link #bound}; removed when it ends. */
	private final Map<String, BoundClaim> transactionBoundClaims = new ConcurrentHashMap<>();

	/**
	 * A store on the default table, timed by the database's clock, with the default timeout.
	 * @param dataSource where the table lives; a Spring transaction on it is joined
	 */
	public JdbcIdempotencyStore(DataSource dataSource) {
		this(dataSource, DEFAULT_TABLE_NAME, null, DEFAULT_TIMEOUT);
	}

	/**
	 * A store timed by the given clock, with the default timeout.
	 * @param dataSource where the table lives; a Spring transaction on it is joined
	 * @param tableName the table, optionally schema-qualified ({@code idem.idempotency_record})
	 * @param clock the clock that stamps and expires rows; every instance on one table should agree
	 */
	public JdbcIdempotencyStore(DataSource dataSource, String tableName, Clock clock) {
		this(dataSource, tableName, Objects.requireNonNull(clock, "clock"), DEFAULT_TIMEOUT);
	}

	/**
	 * @param dataSource where the table lives; a Spring transaction on it is joined
	 * @param tableName the table, optionally schema-qualified ({@code idem.idempotency_record})
	 * @param clock the clock that stamps and expires rows, or {@code null} for the database's clock
	 * @param timeout the longest one statement may take; applied as the JDBC query timeout, in whole
	 * seconds rounded up
	 */
	public JdbcIdempotencyStore(DataSource dataSource, String tableName, @Nullable Clock clock, Duration timeout) {
		this(dataSource, tableName, clock, Clock.systemUTC(), timeout);
	}

	/** A store timed by the database's clock, measured against a local clock the caller gives. */
	static JdbcIdempotencyStore onDatabaseClock(DataSource dataSource, String tableName, Clock local,
			Duration timeout) {
		return new JdbcIdempotencyStore(dataSource, tableName, null, local, timeout);
	}

	private JdbcIdempotencyStore(DataSource dataSource, String tableName, @Nullable Clock clock, Clock local,
			Duration timeout) {
		this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
		this.table = checkTableName(tableName);
		this.timeout = checkTimeout(timeout);
		this.timeoutSeconds = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (timeout.toMillis() + 999) / 1000));
		this.jdbc = new BoundedJdbcTemplate(dataSource, this.timeoutSeconds);
		this.clock = (clock != null) ? clock
				: new DatabaseClock(local, () -> readDatabaseMicros(local), DatabaseClock.REFRESH);
	}

	/**
	 * Checks that a table name is a plain, optionally schema-qualified SQL identifier, so it can be
	 * written into statements.
	 * @return the name
	 * @throws IllegalArgumentException if it is not
	 */
	public static String checkTableName(String tableName) {
		if (tableName == null || !TABLE_NAME.matcher(tableName).matches()) {
			throw new IllegalArgumentException("Not a table name: '" + tableName
					+ "' (letters, digits and underscores, optionally schema-qualified)");
		}
		return tableName;
	}

	private static Duration checkTimeout(Duration timeout) {
		if (timeout == null || timeout.isNegative() || timeout.isZero()) {
			throw new IllegalArgumentException("The statement timeout must be a positive duration, was " + timeout);
		}
		return timeout;
	}

	/** The timeout every statement runs with, in whole seconds. */
	int timeoutSeconds() {
		return this.timeoutSeconds;
	}

	/** The clock that stamps and expires rows. */
	Clock clock() {
		return this.clock;
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return claimBound(key, owner, fingerprint, () -> claim(key, owner, fingerprint, lease));
	}

	// A claim acquired in the caller's transaction is bound to it.
	private ClaimResult claimBound(String key, String owner, @Nullable String fingerprint,
			Supplier<ClaimResult> claim) {
		ClaimResult result;
		try {
			result = retryingDeadlocks(claim);
		}
		catch (DataAccessException ex) {
			if (!isTimeout(ex)) {
				throw ex;
			}
			return heldByRunningTransaction(key, ex);
		}
		if (result.isAcquired() && inTransaction()) {
			bindToTransaction(new BoundClaim(key, owner, fingerprint, this.clock.millis()));
		}
		return result;
	}

	/**
	 * A claim ran out of time. If the database still answers a plain read at once, the claim was
	 * waiting for a row another transaction holds: the key is taken by a call that is still running.
	 * If it does not answer either, the database is the trouble: a storage failure.
	 */
	private ClaimResult heldByRunningTransaction(String key, DataAccessException timedOut) {
		List<Row> rows;
		try {
			rows = onOwnConnection((jdbc) -> jdbc.query(statements().find, this::toRow, key));
		}
		catch (RuntimeException ex) {
			ex.addSuppressed(timedOut);
			throw ex;
		}
		long now = this.clock.millis();
		if (!rows.isEmpty() && rows.get(0).expiresAt() > now && rows.get(0).record() != null) {
			// The holder finished meanwhile, or the wait was for a committed row: answer by it.
			return ClaimResult.existing(onLocalClock(Objects.requireNonNull(rows.get(0).record())));
		}
		logger.debug("A claim waited longer than the store timeout ({}) for a row that a running transaction "
				+ "holds, so the key is in progress [storageKey={}]", this.timeout, key);
		return ClaimResult.existing(onLocalClock(new IdempotencyRecord(key, RecordState.IN_PROGRESS, UNKNOWN_OWNER,
				null, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now + this.timeout.toMillis()), null)));
	}

	private void bindToTransaction(BoundClaim claim) {
		String bound = bound(claim.key, claim.owner);
		this.transactionBoundClaims.put(bound, claim);
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public void afterCompletion(int status) {
				JdbcIdempotencyStore.this.transactionBoundClaims.remove(bound, claim);
				if (status != STATUS_COMMITTED && claim.keptFailure != null) {
					keepFailureAfterRollback(claim, claim.keptFailure);
				}
			}

		});
	}

	private static String bound(String key, String owner) {
		return key + '\n' + owner;
	}

	@Override
	public boolean joinsTransaction(String key, String owner) {
		return this.transactionBoundClaims.containsKey(bound(key, owner));
	}

	/** The "now" an owner-guarded write compares the lease with: none for a transaction-bound claim. */
	private long leaseCheckTime(String key, String owner) {
		return this.transactionBoundClaims.containsKey(bound(key, owner)) ? Long.MIN_VALUE : this.clock.millis();
	}

	private ClaimResult claim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		Statements sql = statements();
		for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
			Instant at = this.clock.instant();
			long now = at.toEpochMilli();
			if (insert(sql, key, owner, fingerprint, now, now + lease.toMillis())) {
				return ClaimResult.acquired(nextFence(at));
			}
			List<IdempotencyRecord> holder = this.jdbc.query(sql.readForClaim, this::toRecord, key);
			if (!holder.isEmpty() && holder.get(0).expiresAt().toEpochMilli() > now) {
				return ClaimResult.existing(onLocalClock(holder.get(0)));
			}
			if (!holder.isEmpty() && !sql.dialect.claimTakesOverExpiredRows()) {
				this.jdbc.update(sql.deleteExpired, key, now);
			}
			// The holder went away (released, expired) between the insert and the read: try again.
		}
		throw new IllegalStateException("Could not claim or read idempotency key '" + key + "' in " + CLAIM_ATTEMPTS
				+ " attempts: it changes hands too fast");
	}

	/** The clock in microseconds, made greater than every fence given before. */
	private long nextFence(Instant at) {
		long micros = Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000L), at.getNano() / 1_000);
		return this.lastFence.updateAndGet((last) -> Math.max(last + 1, micros));
	}

	@Override
	public boolean issueToken(String key, Duration ttl) {
		long now = this.clock.millis();
		try {
			return retryingDeadlocks(
					() -> this.jdbc.update(statements().issueToken, key, TOKEN_OWNER, now, now + ttl.toMillis()) == 1);
		}
		catch (DuplicateKeyException ex) {
			return false;
		}
	}

	@Override
	public ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return claimBound(key, owner, fingerprint, () -> claimToken(key, owner, fingerprint, lease));
	}

	private ClaimResult claimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		Statements sql = statements();
		for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
			Instant at = this.clock.instant();
			long now = at.toEpochMilli();
			if (this.jdbc.update(sql.claimToken, owner, fingerprint, now, now + lease.toMillis(), key, now) == 1) {
				return ClaimResult.acquired(nextFence(at));
			}
			List<Row> holder = this.jdbc.query(sql.readForClaim, this::toRow, key);
			if (holder.isEmpty() || holder.get(0).expiresAt() <= now) {
				return ClaimResult.noLiveToken();
			}
			IdempotencyRecord record = holder.get(0).record();
			if (record != null) {
				return ClaimResult.existing(onLocalClock(record));
			}
			// A released claim turned back into a token between the update and the read: try again.
		}
		throw new IllegalStateException("Could not claim or read idempotency token '" + key + "' in "
				+ CLAIM_ATTEMPTS + " attempts: it changes hands too fast");
	}

	@Override
	public boolean releaseTokenClaim(String key, String owner, Duration ttl) {
		return retryingDeadlocks(() -> {
			long now = this.clock.millis();
			return this.jdbc.update(statements().releaseToken, TOKEN_OWNER, now, now + ttl.toMillis(), key, owner,
					leaseCheckTime(key, owner)) == 1;
		});
	}

	private boolean insert(Statements sql, String key, String owner, @Nullable String fingerprint, long now,
			long expires) {
		try {
			if (sql.dialect.claimTakesOverExpiredRows()) {
				return this.jdbc.update(sql.claim, key, owner, fingerprint, now, expires, now) == 1;
			}
			return this.jdbc.update(sql.claim, key, owner, fingerprint, now, expires) == 1;
		}
		catch (DuplicateKeyException ex) {
			return false;
		}
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		boolean transactionBound = this.transactionBoundClaims.containsKey(bound(key, owner));
		boolean completed;
		try {
			completed = retryingDeadlocks(() -> {
				long now = this.clock.millis();
				return this.jdbc.update(statements().complete, outcome, now + retention.toMillis(), key, owner,
						leaseCheckTime(key, owner)) == 1;
			});
		}
		catch (RuntimeException ex) {
			if (transactionBound) {
				rollbackOnly();
			}
			throw ex;
		}
		if (!completed && transactionBound) {
			rollbackOnly();
		}
		return completed;
	}

	/**
	 * Completes in the caller's transaction, like {@link #complete}; for a claim made in that
	 * transaction, also writes the completed record again once the transaction rolled back, on a
	 * connection of its own, so the failure outlives the rollback its exception causes. If the write
	 * in the transaction fails (on PostgreSQL a failed statement of the method's own spoils the whole
	 * transaction), the transaction is marked rollback-only and the write after the rollback records
	 * the failure, so this answers {@code true} all the same.
	 */
	@Override
	public boolean completeFailure(String key, String owner, String outcome, Duration retention) {
		BoundClaim claim = this.transactionBoundClaims.get(bound(key, owner));
		if (claim == null) {
			return complete(key, owner, outcome, retention);
		}
		claim.keptFailure = new KeptFailure(outcome, retention);
		try {
			complete(key, owner, outcome, retention);
		}
		catch (RuntimeException ex) {
			logger.debug("Could not record a kept failure in its transaction, which now rolls back; it is recorded "
					+ "after the rollback [storageKey={}]", key, ex);
		}
		return true;
	}

	// Runs in afterCompletion, after a rollback: the claim, and with it any token it consumed, is back
	// to what it was before the transaction. Must not throw.
	private void keepFailureAfterRollback(BoundClaim claim, KeptFailure failure) {
		try {
			Boolean kept = onOwnConnection((jdbc) -> writeKeptFailure(jdbc, claim, failure));
			if (!Boolean.TRUE.equals(kept)) {
				logger.warn("An idempotent call ended with a kept failure and its transaction rolled back; before "
						+ "the failure could be recorded again, another call claimed the key (its run stands, since "
						+ "the first one's work was rolled back) [storageKey={}]", claim.key);
			}
		}
		catch (RuntimeException ex) {
			if (isTimeout(ex)) {
				logger.warn("An idempotent call ended with a kept failure and its transaction rolled back; before "
						+ "the failure could be recorded again, another call's running transaction claimed the key "
						+ "(its run stands, since the first one's work was rolled back) [storageKey={}]", claim.key);
				return;
			}
			logger.error("An idempotent call ended with a kept failure and its transaction rolled back, and the "
					+ "failure could not be recorded again: a retry runs the call again [storageKey={}]", claim.key, ex);
		}
	}

	private boolean writeKeptFailure(JdbcTemplate jdbc, BoundClaim claim, KeptFailure failure) {
		Statements sql = statements();
		for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
			long now = this.clock.millis();
			long expires = now + failure.retention.toMillis();
			// The row the claim took over (an expired one, or the token it consumed) came back with the rollback.
			if (jdbc.update(sql.keepFailureOver, claim.owner, claim.fingerprint, claim.createdAt, expires,
					failure.outcome, claim.key, now) == 1) {
				return true;
			}
			try {
				if (jdbc.update(sql.keepFailure, claim.key, claim.owner, claim.fingerprint, claim.createdAt, expires,
						failure.outcome) == 1) {
					return true;
				}
			}
			catch (DuplicateKeyException ex) {
				// Somebody wrote the key since the update: read who.
			}
			List<Row> holder = jdbc.query(sql.find, this::toRow, claim.key);
			if (!holder.isEmpty() && holder.get(0).expiresAt() > now && holder.get(0).record() != null) {
				IdempotencyRecord record = Objects.requireNonNull(holder.get(0).record());
				// Our own completed record: the transaction's outcome was unknown, and it did commit.
				return record.owner().equals(claim.owner) && record.isCompleted();
			}
		}
		return false;
	}

	/**
	 * The engine still returns the result of a call whose completion could not be stored. In a
	 * transaction that would commit the business data with a claim but no outcome, and a retry would
	 * run the work again once the lease lapsed. So the connection's transaction is marked
	 * rollback-only (globally, not through the current status, which would roll back silently): the
	 * commit fails with {@code UnexpectedRollbackException}, the caller gets an error, nothing is
	 * committed, and the retry runs once.
	 */
	private void rollbackOnly() {
		if (TransactionSynchronizationManager.getResource(this.dataSource) instanceof ResourceHolderSupport holder) {
			holder.setRollbackOnly();
		}
	}

	@Override
	public boolean release(String key, String owner) {
		return retryingDeadlocks(
				() -> this.jdbc.update(statements().release, key, owner, leaseCheckTime(key, owner)) == 1);
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		if (this.transactionBoundClaims.containsKey(bound(key, owner))) {
			return true;
		}
		return retryingDeadlocks(() -> {
			long now = this.clock.millis();
			return this.jdbc.update(statements().extend, now + lease.toMillis(), key, owner, now) == 1;
		});
	}

	@Override
	public boolean delete(String key) {
		return retryingDeadlocks(() -> this.jdbc.update(statements().delete, key, this.clock.millis()) == 1);
	}

	/**
	 * Runs a statement again when the database chose it as a deadlock victim. InnoDB does that to one
	 * of two inserts racing for a key that a third party just deleted; outside a transaction the
	 * statement changed nothing and is safe to repeat. Inside one, the database rolled the whole
	 * transaction back, so the failure must reach the caller. A statement that ran out of time is not
	 * repeated: its time is up.
	 */
	private <T> T retryingDeadlocks(Supplier<T> statement) {
		for (int attempt = 1;; attempt++) {
			try {
				return statement.get();
			}
			catch (PessimisticLockingFailureException ex) {
				if (attempt >= DEADLOCK_ATTEMPTS || inTransaction() || isTimeout(ex)) {
					throw ex;
				}
			}
		}
	}

	/**
	 * Whether a statement failed because it ran out of time (the query timeout, or the database's
	 * own limit on waiting for a lock), rather than because the database refused it.
	 */
	static boolean isTimeout(Throwable failure) {
		for (Throwable ex = failure; ex != null; ex = (ex.getCause() != ex) ? ex.getCause() : null) {
			if (ex instanceof QueryTimeoutException || ex instanceof SQLTimeoutException) {
				return true;
			}
			if (ex instanceof SQLException sqlException) {
				String state = sqlException.getSQLState();
				int code = sqlException.getErrorCode();
				// 57014: statement cancelled (PostgreSQL, H2); 55P03: lock not available (PostgreSQL);
				// HYT00: lock timeout (H2); 70100: query interrupted, 1969: statement time exceeded
				// (MariaDB); 3024: execution time exceeded, 1205: lock wait timeout (MariaDB, MySQL).
				if ("57014".equals(state) || "55P03".equals(state) || "HYT00".equals(state) || "70100".equals(state)
						|| code == 1969 || code == 3024 || code == 1205) {
					return true;
				}
			}
		}
		return false;
	}

	private boolean inTransaction() {
		return TransactionSynchronizationManager.isActualTransactionActive()
				&& TransactionSynchronizationManager.hasResource(this.dataSource);
	}

	/**
	 * Runs statements on a connection that is not the caller's transaction's: inside a transaction
	 * (or in its completion callbacks, where its connection is still bound) a connection of its own,
	 * in auto-commit; outside one, the store's template, which takes one from the pool anyway.
	 */
	private <T> T onOwnConnection(Function<JdbcTemplate, T> work) {
		if (!inTransaction()) {
			return work.apply(this.jdbc);
		}
		Connection connection;
		try {
			connection = this.dataSource.getConnection();
		}
		catch (SQLException ex) {
			throw new CannotGetJdbcConnectionException("Failed to obtain a JDBC connection of the store's own", ex);
		}
		try {
			if (!connection.getAutoCommit()) {
				connection.setAutoCommit(true);
			}
			return work.apply(new BoundedJdbcTemplate(new SingleConnectionDataSource(connection, true),
					this.timeoutSeconds));
		}
		catch (SQLException ex) {
			throw new CannotGetJdbcConnectionException("Could not switch a connection of the store's own to "
					+ "auto-commit", ex);
		}
		finally {
			JdbcUtils.closeConnection(connection);
		}
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		long now = this.clock.millis();
		return this.jdbc.query(statements().find, this::toRow, key)
			.stream()
			.filter((row) -> row.expiresAt() > now)
			.map(Row::record)
			.filter(Objects::nonNull)
			.map(this::onLocalClock)
			.findFirst();
	}

	/**
	 * A record as its caller reads it: on the database's clock, its times are moved to the JVM's
	 * clock, which the caller compares them with (a {@code Retry-After} is the time left until
	 * {@code expiresAt}).
	 */
	private IdempotencyRecord onLocalClock(IdempotencyRecord record) {
		if (!(this.clock instanceof DatabaseClock databaseClock)) {
			return record;
		}
		long offsetMillis = Math.floorDiv(databaseClock.offsetMicros(), 1_000);
		Instant expiresAt = record.expiresAt();
		return new IdempotencyRecord(record.key(), record.state(), record.owner(), record.fingerprint(),
				record.createdAt().minusMillis(offsetMillis),
				(expiresAt != null) ? expiresAt.minusMillis(offsetMillis) : null, record.outcome());
	}

	/**
	 * Deletes the rows that expired, in small batches so no statement holds many locks for long.
	 * Runs on whatever thread calls it; the auto-configuration calls it on a background thread.
	 * @return how many rows were deleted
	 */
	public int purgeExpired() {
		Statements sql = statements();
		if (!sql.dialect.purgesInBatches()) {
			return this.jdbc.update(sql.purge, this.clock.millis());
		}
		int total = 0;
		int deleted;
		do {
			long now = this.clock.millis();
			deleted = (sql.dialect == JdbcDialect.POSTGRESQL) ? this.jdbc.update(sql.purge, now, PURGE_BATCH, now)
					: this.jdbc.update(sql.purge, now, PURGE_BATCH);
			total += deleted;
		}
		while (deleted == PURGE_BATCH);
		return total;
	}

	/** The database's time in microseconds, or the local clock's for a database whose time cannot be read. */
	private long readDatabaseMicros(Clock local) {
		String sql = statements().dialect.currentTimeMicros();
		if (sql == null) {
			Instant now = local.instant();
			return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
		}
		Long micros = this.jdbc.queryForObject(sql, Long.class);
		return Objects.requireNonNull(micros, "The database's current time");
	}

	/** A row as read: a record, or a live token ({@code record} is {@code null}), expiring at the time given. */
	private record Row(@Nullable IdempotencyRecord record, long expiresAt) {
	}

	private Row toRow(ResultSet rs, int row) throws SQLException {
		return new Row(TOKEN.equals(rs.getString("state")) ? null : toRecord(rs, row), rs.getLong("expires_at"));
	}

	private IdempotencyRecord toRecord(ResultSet rs, int row) throws SQLException {
		return new IdempotencyRecord(rs.getString("storage_key"), RecordState.valueOf(rs.getString("state")),
				rs.getString("owner_token"), rs.getString("fingerprint"), Instant.ofEpochMilli(rs.getLong("created_at")),
				Instant.ofEpochMilli(rs.getLong("expires_at")), rs.getString("outcome"));
	}

	// The database is asked its product on first use, not at start-up: a database that is down when
	// the application starts fails requests with 503, like any other storage failure.
	private Statements statements() {
		Statements sql = this.statements;
		if (sql == null) {
			synchronized (this) {
				sql = this.statements;
				if (sql == null) {
					sql = new Statements(detectDialect(), this.table);
					this.statements = sql;
				}
			}
		}
		return sql;
	}

	private JdbcDialect detectDialect() {
		try {
			String product = JdbcUtils.extractDatabaseMetaData(this.dataSource, DatabaseMetaData::getDatabaseProductName);
			return JdbcDialect.of(product);
		}
		catch (MetaDataAccessException ex) {
			throw new IllegalStateException("Could not ask the database which it is", ex);
		}
	}

	/** A claim made in a still-running transaction, and the kept failure it ended with, if it did. */
	private static final class BoundClaim {

		final String key;

		final String owner;

		final @Nullable String fingerprint;

		final long createdAt;

		volatile @Nullable KeptFailure keptFailure;

		BoundClaim(String key, String owner, @Nullable String fingerprint, long createdAt) {
			this.key = key;
			this.owner = owner;
			this.fingerprint = fingerprint;
			this.createdAt = createdAt;
		}

	}

	private record KeptFailure(String outcome, Duration retention) {
	}

	/**
	 * A template whose statements never wait longer than the store's timeout: a transaction's own
	 * timeout applies when it leaves less time, else the store's.
	 */
	private static final class BoundedJdbcTemplate extends JdbcTemplate {

		private final int timeoutSeconds;

		BoundedJdbcTemplate(DataSource dataSource, int timeoutSeconds) {
			super(dataSource);
			this.timeoutSeconds = timeoutSeconds;
			setQueryTimeout(timeoutSeconds);
		}

		@Override
		protected void applyStatementSettings(Statement stmt) throws SQLException {
			super.applyStatementSettings(stmt);
			int applied = stmt.getQueryTimeout();
			if (applied == 0 || applied > this.timeoutSeconds) {
				stmt.setQueryTimeout(this.timeoutSeconds);
			}
		}

	}

	/** Every statement, written once for the table and the database. */
	private static final class Statements {

		final JdbcDialect dialect;

		final String claim;

		final String readForClaim;

		final String deleteExpired;

		final String complete;

		final String release;

		final String extend;

		final String delete;

		final String find;

		final String purge;

		final String issueToken;

		final String claimToken;

		final String releaseToken;

		final String keepFailureOver;

		final String keepFailure;

		Statements(JdbcDialect dialect, String table) {
			String owned = " WHERE storage_key = ? AND owner_token = ? AND state = '" + IN_PROGRESS
					+ "' AND expires_at > ?";
			this.dialect = dialect;
			this.claim = dialect.claim(table);
			this.readForClaim = dialect.readForClaim(table);
			this.deleteExpired = "DELETE FROM " + table + " WHERE storage_key = ? AND expires_at <= ?";
			this.complete = "UPDATE " + table + " SET state = '" + COMPLETED + "', outcome = ?, expires_at = ?" + owned;
			this.release = "DELETE FROM " + table + owned;
			this.extend = "UPDATE " + table + " SET expires_at = ?" + owned;
			this.delete = "DELETE FROM " + table + " WHERE storage_key = ? AND expires_at > ?";
			this.find = dialect.find(table);
			this.purge = dialect.purge(table);
			this.issueToken = "INSERT INTO " + table + " (" + JdbcDialect.COLUMNS + ") VALUES (?, '" + TOKEN
					+ "', ?, NULL, ?, ?, NULL)";
			this.claimToken = "UPDATE " + table + " SET state = '" + IN_PROGRESS
					+ "', owner_token = ?, fingerprint = ?, created_at = ?, expires_at = ? WHERE storage_key = ? "
					+ "AND state = '" + TOKEN + "' AND expires_at > ?";
			this.releaseToken = "UPDATE " + table + " SET state = '" + TOKEN
					+ "', owner_token = ?, fingerprint = NULL, created_at = ?, expires_at = ?" + owned;
			this.keepFailureOver = "UPDATE " + table + " SET state = '" + COMPLETED
					+ "', owner_token = ?, fingerprint = ?, created_at = ?, expires_at = ?, outcome = ? "
					+ "WHERE storage_key = ? AND (state = '" + TOKEN + "' OR expires_at <= ?)";
			this.keepFailure = "INSERT INTO " + table + " (" + JdbcDialect.COLUMNS + ") VALUES (?, '" + COMPLETED
					+ "', ?, ?, ?, ?, ?)";
		}

	}

}
