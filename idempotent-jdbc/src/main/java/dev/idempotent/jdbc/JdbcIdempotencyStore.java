package dev.idempotent.jdbc;

import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sql.DataSource;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import org.jspecify.annotations.Nullable;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.PessimisticLockingFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
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
 * Expiry is a column compared with this store's {@link Clock}: an expired row is invisible, a claim
 * takes it over, and {@link #purgeExpired()} deletes such rows in batches, off the request path.
 * Every write after the claim is guarded by the owner token.
 * <p>
 * A live one-time token is a row in state {@code TOKEN} under the storage key its call will claim.
 * Claiming it is one {@code UPDATE} of that row into the record, so a token is consumed exactly once;
 * in a transaction, a rollback gives the token back.
 * <p>
 * <h2>Transactional mode</h2>
 * Statements run through a {@link JdbcTemplate}, so when a call runs inside a Spring transaction on
 * the same {@link DataSource}, its claim and its completion are written in that transaction and
 * commit or roll back with the business data: exactly once with the business database. Until that
 * transaction ends, its claim row is locked and invisible to others, so a concurrent duplicate's
 * claim waits for the outcome (the lock wait timeout of the database bounds the wait) and then
 * replays or rejects it, or, after a rollback, runs. There is no "in progress" answer in this mode.
 * <p>
 * Such a claim needs no lease renewal: the row lock holds it, and another connection's
 * {@code UPDATE} would only wait for that lock. So {@link #extend} answers {@code true} at once,
 * without a statement, for a claim whose transaction is still running, and its completion or
 * release ignores the lease, which cannot have been taken over. A completion that cannot be stored
 * marks the transaction rollback-only, so the business data never commits without its outcome.
 * Complete and release must be called on the transaction's thread, as the engine does.
 */
public class JdbcIdempotencyStore implements IdempotencyStore {

	/** The default table name, the one the shipped schema scripts create. */
	public static final String DEFAULT_TABLE_NAME = "idempotency_record";

	private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

	private static final String IN_PROGRESS = RecordState.IN_PROGRESS.name();

	private static final String TOKEN = "TOKEN";

	// The owner column of a live token: no claim's owner, and not empty, which some databases store as NULL.
	private static final String TOKEN_OWNER = "-";

	private static final int CLAIM_ATTEMPTS = 10;

	private static final int DEADLOCK_ATTEMPTS = 5;

	private static final int PURGE_BATCH = 500;

	private final JdbcTemplate jdbc;

	private final String table;

	private final Clock clock;

	private volatile @Nullable Statements statements;

	/** Claims made inside a still-running transaction, as {@link #bound}; removed when it ends. */
	private final Set<String> transactionBoundClaims = ConcurrentHashMap.newKeySet();

	public JdbcIdempotencyStore(DataSource dataSource) {
		this(dataSource, DEFAULT_TABLE_NAME, Clock.systemUTC());
	}

	/**
	 * @param dataSource where the table lives; a Spring transaction on it is joined
	 * @param tableName the table, optionally schema-qualified ({@code idem.idempotency_record})
	 * @param clock the clock that stamps and expires rows; every instance on one table should agree
	 */
	public JdbcIdempotencyStore(DataSource dataSource, String tableName, Clock clock) {
		this.jdbc = new JdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
		this.table = checkTableName(tableName);
		this.clock = Objects.requireNonNull(clock, "clock");
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

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return claimBound(key, owner, () -> claim(key, owner, fingerprint, lease));
	}

	// A claim acquired in the caller's transaction is bound to it.
	private ClaimResult claimBound(String key, String owner, Supplier<ClaimResult> claim) {
		ClaimResult result = retryingDeadlocks(claim);
		if (result.isAcquired() && inTransaction()) {
			bindToTransaction(key, owner);
		}
		return result;
	}

	private void bindToTransaction(String key, String owner) {
		String claim = bound(key, owner);
		this.transactionBoundClaims.add(claim);
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public void afterCompletion(int status) {
				JdbcIdempotencyStore.this.transactionBoundClaims.remove(claim);
			}

		});
	}

	private static String bound(String key, String owner) {
		return key + '\n' + owner;
	}

	/** The "now" an owner-guarded write compares the lease with: none for a transaction-bound claim. */
	private long leaseCheckTime(String key, String owner) {
		return this.transactionBoundClaims.contains(bound(key, owner)) ? Long.MIN_VALUE : this.clock.millis();
	}

	private ClaimResult claim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		Statements sql = statements();
		for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
			long now = this.clock.millis();
			if (insert(sql, key, owner, fingerprint, now, now + lease.toMillis())) {
				return ClaimResult.acquired();
			}
			List<IdempotencyRecord> holder = this.jdbc.query(sql.readForClaim, this::toRecord, key);
			if (!holder.isEmpty() && holder.get(0).expiresAt().toEpochMilli() > now) {
				return ClaimResult.existing(holder.get(0));
			}
			if (!holder.isEmpty() && !sql.dialect.claimTakesOverExpiredRows()) {
				this.jdbc.update(sql.deleteExpired, key, now);
			}
			// The holder went away (released, expired) between the insert and the read: try again.
		}
		throw new IllegalStateException("Could not claim or read idempotency key '" + key + "' in " + CLAIM_ATTEMPTS
				+ " attempts: it changes hands too fast");
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
		return claimBound(key, owner, () -> claimToken(key, owner, fingerprint, lease));
	}

	private ClaimResult claimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		Statements sql = statements();
		for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
			long now = this.clock.millis();
			if (this.jdbc.update(sql.claimToken, owner, fingerprint, now, now + lease.toMillis(), key, now) == 1) {
				return ClaimResult.acquired();
			}
			List<Row> holder = this.jdbc.query(sql.readForClaim, this::toRow, key);
			if (holder.isEmpty() || holder.get(0).expiresAt() <= now) {
				return ClaimResult.noLiveToken();
			}
			IdempotencyRecord record = holder.get(0).record();
			if (record != null) {
				return ClaimResult.existing(record);
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
		boolean transactionBound = this.transactionBoundClaims.contains(bound(key, owner));
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
	 * The engine still returns the result of a call whose completion could not be stored. In a
	 * transaction that would commit the business data with a claim but no outcome, and a retry would
	 * run the work again once the lease lapsed. So the connection's transaction is marked
	 * rollback-only (globally, not through the current status, which would roll back silently): the
	 * commit fails with {@code UnexpectedRollbackException}, the caller gets an error, nothing is
	 * committed, and the retry runs once.
	 */
	private void rollbackOnly() {
		if (TransactionSynchronizationManager.getResource(Objects.requireNonNull(this.jdbc.getDataSource()))
				instanceof ResourceHolderSupport holder) {
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
		if (this.transactionBoundClaims.contains(bound(key, owner))) {
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
	 * transaction back, so the failure must reach the caller.
	 */
	private <T> T retryingDeadlocks(Supplier<T> statement) {
		for (int attempt = 1;; attempt++) {
			try {
				return statement.get();
			}
			catch (PessimisticLockingFailureException ex) {
				if (attempt >= DEADLOCK_ATTEMPTS || inTransaction()) {
					throw ex;
				}
			}
		}
	}

	private boolean inTransaction() {
		return TransactionSynchronizationManager.isActualTransactionActive()
				&& TransactionSynchronizationManager.hasResource(Objects.requireNonNull(this.jdbc.getDataSource()));
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		long now = this.clock.millis();
		return this.jdbc.query(statements().find, this::toRow, key)
			.stream()
			.filter((row) -> row.expiresAt() > now)
			.map(Row::record)
			.filter(Objects::nonNull)
			.findFirst();
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
			String product = JdbcUtils.extractDatabaseMetaData(Objects.requireNonNull(this.jdbc.getDataSource()),
					DatabaseMetaData::getDatabaseProductName);
			return JdbcDialect.of(product);
		}
		catch (MetaDataAccessException ex) {
			throw new IllegalStateException("Could not ask the database which it is", ex);
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

		Statements(JdbcDialect dialect, String table) {
			String owned = " WHERE storage_key = ? AND owner_token = ? AND state = '" + IN_PROGRESS
					+ "' AND expires_at > ?";
			this.dialect = dialect;
			this.claim = dialect.claim(table);
			this.readForClaim = dialect.readForClaim(table);
			this.deleteExpired = "DELETE FROM " + table + " WHERE storage_key = ? AND expires_at <= ?";
			this.complete = "UPDATE " + table + " SET state = 'COMPLETED', outcome = ?, expires_at = ?" + owned;
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
		}

	}

}
