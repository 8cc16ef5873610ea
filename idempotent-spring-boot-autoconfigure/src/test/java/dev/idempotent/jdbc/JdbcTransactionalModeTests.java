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

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.Idempotent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Transactional mode on a real database: an {@code @Idempotent @Transactional} method's claim and
 * completion commit or roll back with its business row, except a kept failure, which outlives the
 * rollback; a duplicate waits for the first call no longer than the store's timeout. A subclass
 * names the database.
 */
@SpringBootTest(classes = JdbcTransactionalModeTests.App.class,
		properties = { "idempotent.store.type=jdbc", "idempotent.jdbc.initialize-schema=always",
				"idempotent.store.timeout=1s" })
abstract class JdbcTransactionalModeTests {

	private static final String PREFIX = "tx-test-" + UUID.randomUUID() + ":";

	private static final Duration WAIT = Duration.ofSeconds(30);

	@Autowired
	private Ledger ledger;

	@Autowired
	private IdempotenceService idempotence;

	@Autowired
	private IdempotencyStore store;

	@Autowired
	private JdbcTemplate jdbc;

	private final String transferId = "t-" + UUID.randomUUID();

	private final ExecutorService threads = Executors.newCachedThreadPool();

	@DynamicPropertySource
	static void keyPrefix(DynamicPropertyRegistry registry) {
		registry.add("idempotent.key-prefix", () -> PREFIX);
	}

	/** How many sessions of this database wait for a row lock right now. */
	protected abstract int sessionsWaitingForALock(JdbcTemplate jdbc);

	/** Makes the database refuse to store an outcome containing {@code marker}, until dropped. */
	protected abstract void refuseOutcomesContaining(JdbcTemplate jdbc, String marker);

	/** Drops what {@link #refuseOutcomesContaining} created. */
	protected abstract void acceptAllOutcomes(JdbcTemplate jdbc);

	@BeforeEach
	void createLedger() {
		this.jdbc.execute("CREATE TABLE IF NOT EXISTS test_ledger (transfer_id VARCHAR(64) NOT NULL, amount INT NOT NULL)");
	}

	@AfterEach
	void stopThreads() {
		this.threads.shutdownNow();
	}

	@Test
	void theStoreIsTheJdbcStoreOnTheDatabasesClockWithTheConfiguredTimeout() {
		assertThat(this.store).isInstanceOfSatisfying(JdbcIdempotencyStore.class, (jdbc) -> {
			assertThat(jdbc.clock()).as("no Clock bean: the database's clock").isInstanceOf(DatabaseClock.class);
			assertThat(jdbc.timeoutSeconds()).as("idempotent.store.timeout").isEqualTo(1);
		});
	}

	@Test
	void theClaimIsWrittenInTheCallersTransaction() {
		String result = this.ledger.transfer(this.transferId, 10, () -> {
			// The transaction is the outer advice: its uncommitted claim is invisible to another connection.
			assertThat(onAnotherThread(() -> record())).isEmpty();
			assertThat(ownClaim()).isPresent();
		});
		assertThat(result).isEqualTo("moved 10");
		assertThat(record()).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
	}

	@Test
	void aFailedCommitTakesTheClaimWithItSoTheRetryRunsOnce() {
		assertThatIllegalStateException().isThrownBy(() -> this.ledger.transfer(this.transferId, 10,
				() -> failBeforeCommit("disk full at commit")))
			.withMessage("disk full at commit");
		assertThat(ledgerRows()).as("the business write rolled back").isZero();
		assertThat(record()).as("the claim and its completion rolled back with it").isEmpty();

		assertThat(this.ledger.transfer(this.transferId, 10, () -> {
		})).isEqualTo("moved 10");
		assertThat(this.ledger.transfer(this.transferId, 10, () -> {
		})).as("replayed").isEqualTo("moved 10");
		assertThat(this.ledger.executions(this.transferId)).as("the rolled-back run and the retry").isEqualTo(2);
		assertThat(ledgerRows()).as("the money moved once").isEqualTo(1);
	}

	@Test
	void aFailedCommitGivesTheConsumedTokenBackSoTheRetryRunsWithIt() {
		String token = this.idempotence.issueToken("tokenTransfer", null).token();
		assertThatIllegalStateException().isThrownBy(() -> this.ledger.transferWithToken(token,
				() -> failBeforeCommit("disk full at commit")))
			.withMessage("disk full at commit");
		assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM test_ledger WHERE transfer_id = ?", Integer.class,
				token)).as("the business write rolled back").isZero();

		assertThat(this.ledger.transferWithToken(token, () -> {
		})).isEqualTo("moved by token");
		assertThat(this.ledger.transferWithToken(token, () -> {
		})).as("replayed").isEqualTo("moved by token");
		assertThat(this.ledger.executions(token)).as("the rolled-back run and the retry").isEqualTo(2);
		assertThat(this.jdbc.queryForObject("SELECT COUNT(*) FROM test_ledger WHERE transfer_id = ?", Integer.class,
				token)).as("the money moved once").isEqualTo(1);
	}

	@Test
	void anOutcomeThatCannotBeStoredRollsTheBusinessWriteBackSoTheRetryRunsOnce() {
		refuseOutcomesContaining(this.jdbc, "moved 666");
		try {
			assertThatExceptionOfType(UnexpectedRollbackException.class)
				.isThrownBy(() -> this.ledger.transfer(this.transferId, 666, () -> {
				}));
			assertThat(ledgerRows()).as("no money moved without its recorded outcome").isZero();
			assertThat(record()).isEmpty();
		}
		finally {
			acceptAllOutcomes(this.jdbc);
		}
		assertThat(this.ledger.transfer(this.transferId, 666, () -> {
		})).isEqualTo("moved 666");
		assertThat(this.ledger.transfer(this.transferId, 666, () -> {
		})).as("replayed").isEqualTo("moved 666");
		assertThat(ledgerRows()).as("the money moved once").isEqualTo(1);
	}

	@Test
	void aDuplicateWaitsForTheFirstCallsCommitAndReplaysIt() throws Exception {
		CountDownLatch finish = new CountDownLatch(1);
		CountDownLatch running = new CountDownLatch(1);
		Future<String> first = this.threads.submit(() -> this.ledger.transfer(this.transferId, 10, () -> {
			running.countDown();
			await(finish);
		}));
		await(running);
		Future<String> duplicate = this.threads.submit(() -> this.ledger.transfer(this.transferId, 10, () -> {
		}));
		awaitALockWait();
		assertThat(duplicate).as("the duplicate waits instead of answering 409").isNotDone();
		finish.countDown();
		assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("moved 10");
		assertThat(duplicate.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("moved 10");
		assertThat(this.ledger.executions(this.transferId)).isEqualTo(1);
		assertThat(ledgerRows()).isEqualTo(1);
	}

	@Test
	void aDuplicateWaitsThenIsRejectedUnderTheRejectPolicy() throws Exception {
		CountDownLatch finish = new CountDownLatch(1);
		CountDownLatch running = new CountDownLatch(1);
		Future<String> first = this.threads.submit(() -> this.ledger.transferOnce(this.transferId, () -> {
			running.countDown();
			await(finish);
		}));
		await(running);
		Future<String> duplicate = this.threads.submit(() -> this.ledger.transferOnce(this.transferId, () -> {
		}));
		awaitALockWait();
		finish.countDown();
		assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("moved once");
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> duplicate.get(WAIT.toSeconds(), TimeUnit.SECONDS))
			.withCauseInstanceOf(DuplicateRequestException.class);
		assertThat(ledgerRows()).isEqualTo(1);
	}

	@Test
	void aDuplicateRunsWhenTheFirstCallRollsBack() throws Exception {
		CountDownLatch finish = new CountDownLatch(1);
		CountDownLatch running = new CountDownLatch(1);
		Future<String> first = this.threads.submit(() -> this.ledger.transfer(this.transferId, 10, () -> {
			running.countDown();
			await(finish);
			throw new IllegalStateException("ledger offline");
		}));
		await(running);
		Future<String> duplicate = this.threads.submit(() -> this.ledger.transfer(this.transferId, 10, () -> {
		}));
		awaitALockWait();
		finish.countDown();
		assertThatExceptionOfType(ExecutionException.class)
			.isThrownBy(() -> first.get(WAIT.toSeconds(), TimeUnit.SECONDS))
			.withRootCauseInstanceOf(IllegalStateException.class);
		assertThat(duplicate.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("moved 10");
		assertThat(this.ledger.executions(this.transferId)).isEqualTo(2);
		assertThat(ledgerRows()).as("only the duplicate's write committed").isEqualTo(1);
	}

	@Test
	void leaseRenewalOfAClaimInARunningTransactionAnswersAtOnce() {
		this.ledger.transfer(this.transferId, 10, () -> {
			String[] claim = ownClaim().orElseThrow();
			// What the engine's renewal thread does while the method runs: it must neither wait for the
			// transaction's row lock nor find the claim gone.
			assertThat(onAnotherThread(() -> this.store.extend(claim[0], claim[1], Duration.ofSeconds(30)))).isTrue();
		});
		assertThat(record()).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
		assertThat(ledgerRows()).isEqualTo(1);
	}

	@Test
	void aTransactionOutlivingItsLeaseStillCommitsItsOutcomeOnce() {
		assertThat(this.ledger.transferOutlivingLease(this.transferId, () -> {
			String[] claim = ownClaim().orElseThrow();
			long expiresAt = this.jdbc.queryForObject(
					"SELECT expires_at FROM idempotency_record WHERE storage_key = ?", Long.class, claim[0]);
			// The row lock, not the lease, holds a transaction's claim: let the lease lapse.
			while (System.currentTimeMillis() <= expiresAt) {
				Thread.onSpinWait();
			}
		})).isEqualTo("moved slowly");
		assertThat(record()).hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
		assertThat(this.ledger.transferOutlivingLease(this.transferId, () -> {
		})).as("replayed").isEqualTo("moved slowly");
		assertThat(ledgerRows()).isEqualTo(1);
	}

	@Test
	void aKeptFailureOutlivesTheRollbackSoTheRetryReplaysIt() {
		assertThatExceptionOfType(InsufficientFunds.class)
			.isThrownBy(() -> this.ledger.transferOrFail(this.transferId, "kept"))
			.withMessage("insufficient funds for " + this.transferId);
		assertThat(ledgerRows()).as("the business write rolled back").isZero();
		assertThat(record("keptTransfer", this.transferId))
			.hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));

		assertThatExceptionOfType(InsufficientFunds.class)
			.as("the retry gets the failure again")
			.isThrownBy(() -> this.ledger.transferOrFail(this.transferId, "kept"))
			.withMessage("insufficient funds for " + this.transferId);
		assertThat(this.ledger.executions(this.transferId)).as("the method ran once").isEqualTo(1);
		assertThat(ledgerRows()).isZero();
	}

	@Test
	void aKeptFailureKeepsItsTokenConsumedThoughTheTransactionRolledBack() {
		String token = this.idempotence.issueToken("keptTokenTransfer", null).token();
		assertThatExceptionOfType(InsufficientFunds.class)
			.isThrownBy(() -> this.ledger.transferWithTokenOrFail(token, "kept"));

		assertThatExceptionOfType(InsufficientFunds.class)
			.as("the retry with the token gets the failure again")
			.isThrownBy(() -> this.ledger.transferWithTokenOrFail(token, "kept"));
		assertThat(this.ledger.executions(token)).as("the method ran once").isEqualTo(1);
		assertThat(record("keptTokenTransfer", token))
			.hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
	}

	@Test
	void aKeptFailureTheDatabaseRaisedIsKeptThoughItSpoiledTheTransaction() {
		// On PostgreSQL the failed insert aborts the transaction: even the store's write in it fails.
		assertThatExceptionOfType(DataIntegrityViolationException.class)
			.isThrownBy(() -> this.ledger.transferOrFail(this.transferId, "refused"));
		assertThat(record("keptTransfer", this.transferId))
			.hasValueSatisfying((r) -> assertThat(r.state()).isEqualTo(RecordState.COMPLETED));
		assertThatExceptionOfType(DataIntegrityViolationException.class)
			.as("the retry gets the failure again")
			.isThrownBy(() -> this.ledger.transferOrFail(this.transferId, "refused"));
		assertThat(this.ledger.executions(this.transferId)).as("the method ran once").isEqualTo(1);
	}

	@Test
	void aSystemFailureStillReleasesSoTheRetryRuns() {
		assertThatIllegalStateException().isThrownBy(() -> this.ledger.transferOrFail(this.transferId, "system"));
		assertThat(record("keptTransfer", this.transferId)).isEmpty();
		assertThat(this.ledger.transferOrFail(this.transferId, "none")).isEqualTo("moved");
		assertThat(this.ledger.executions(this.transferId)).as("the failed run and the retry").isEqualTo(2);
		assertThat(ledgerRows()).isEqualTo(1);
	}

	@Test
	void aSystemFailureGivesTheTokenBack() {
		String token = this.idempotence.issueToken("keptTokenTransfer", null).token();
		assertThatIllegalStateException().isThrownBy(() -> this.ledger.transferWithTokenOrFail(token, "system"));
		assertThat(this.ledger.transferWithTokenOrFail(token, "none")).isEqualTo("moved by token");
		assertThat(this.ledger.executions(token)).isEqualTo(2);
	}

	@Test
	void aDuplicateWaitingLongerThanTheStoreTimeoutIsToldTheKeyIsInProgress() throws Exception {
		CountDownLatch finish = new CountDownLatch(1);
		CountDownLatch running = new CountDownLatch(1);
		Future<String> first = this.threads.submit(() -> this.ledger.transfer(this.transferId, 10, () -> {
			running.countDown();
			await(finish);
		}));
		try {
			await(running);
			Future<String> duplicate = this.threads.submit(() -> this.ledger.transfer(this.transferId, 10, () -> {
			}));
			// The store timeout is 1 s: the duplicate is answered well before the first call ends.
			assertThatExceptionOfType(ExecutionException.class).as("answered, not still waiting")
				.isThrownBy(() -> duplicate.get(15, TimeUnit.SECONDS))
				.withCauseInstanceOf(RequestInProgressException.class);
			assertThat(first).as("the first call still runs").isNotDone();
		}
		finally {
			finish.countDown();
		}
		assertThat(first.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("moved 10");
		assertThat(this.ledger.executions(this.transferId)).isEqualTo(1);
		assertThat(ledgerRows()).as("the duplicate's transaction rolled back").isEqualTo(1);
	}

	private Optional<IdempotencyRecord> record() {
		return record("transfer", this.transferId);
	}

	private Optional<IdempotencyRecord> record(String operation, String key) {
		return this.idempotence.find(operation, null, key);
	}

	/** The storage key and owner of the claim the current transaction holds, read in it. */
	private Optional<String[]> ownClaim() {
		return this.jdbc
			.query("SELECT storage_key, owner_token FROM idempotency_record WHERE state = 'IN_PROGRESS' AND storage_key LIKE ?",
					(rs, row) -> new String[] { rs.getString(1), rs.getString(2) }, PREFIX + "%")
			.stream()
			.findFirst();
	}

	private int ledgerRows() {
		Integer rows = this.jdbc.queryForObject("SELECT COUNT(*) FROM test_ledger WHERE transfer_id = ?", Integer.class,
				this.transferId);
		return (rows != null) ? rows : 0;
	}

	private static void failBeforeCommit(String message) {
		TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {

			@Override
			public void beforeCommit(boolean readOnly) {
				throw new IllegalStateException(message);
			}

		});
	}

	private <T> T onAnotherThread(Callable<T> task) {
		try {
			return CompletableFuture.supplyAsync(() -> {
				try {
					return task.call();
				}
				catch (Exception ex) {
					throw new IllegalStateException(ex);
				}
			}, this.threads).get(5, TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new AssertionError("The other thread did not answer within 5 s", ex);
		}
	}

	private void awaitALockWait() {
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (sessionsWaitingForALock(this.jdbc) == 0) {
			if (System.nanoTime() > deadline) {
				throw new AssertionError("The duplicate never waited for the first call's row lock");
			}
			Thread.onSpinWait();
		}
	}

	private static void await(CountDownLatch latch) {
		try {
			if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
				throw new AssertionError("Timed out");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Ledger ledger(JdbcTemplate jdbc) {
			return new Ledger(jdbc);
		}

	}

	/** A business service: one ledger row per transfer, in the same transaction as the claim. */
	static class Ledger {

		private final JdbcTemplate jdbc;

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		Ledger(JdbcTemplate jdbc) {
			this.jdbc = jdbc;
		}

		@Transactional
		@Idempotent(name = "transfer", key = "#transferId")
		public String transfer(String transferId, int amount, Runnable afterWrite) {
			this.jdbc.update("INSERT INTO test_ledger (transfer_id, amount) VALUES (?, ?)", transferId, amount);
			this.executions.computeIfAbsent(transferId, (id) -> new AtomicInteger()).incrementAndGet();
			afterWrite.run();
			return "moved " + amount;
		}

		@Transactional
		@Idempotent(name = "tokenTransfer", token = true, key = "#token")
		public String transferWithToken(String token, Runnable afterWrite) {
			this.jdbc.update("INSERT INTO test_ledger (transfer_id, amount) VALUES (?, 1)", token);
			this.executions.computeIfAbsent(token, (id) -> new AtomicInteger()).incrementAndGet();
			afterWrite.run();
			return "moved by token";
		}

		@Transactional
		@Idempotent(name = "transferOnce", key = "#transferId", onDuplicate = DuplicatePolicy.REJECT)
		public String transferOnce(String transferId, Runnable afterWrite) {
			this.jdbc.update("INSERT INTO test_ledger (transfer_id, amount) VALUES (?, 1)", transferId);
			afterWrite.run();
			return "moved once";
		}

		@Transactional
		@Idempotent(name = "transfer", key = "#transferId", lease = "3s")
		public String transferOutlivingLease(String transferId, Runnable afterWrite) {
			this.jdbc.update("INSERT INTO test_ledger (transfer_id, amount) VALUES (?, 1)", transferId);
			afterWrite.run();
			return "moved slowly";
		}

		@Transactional
		@Idempotent(name = "keptTransfer", key = "#transferId",
				keepOn = { InsufficientFunds.class, DataIntegrityViolationException.class })
		public String transferOrFail(String transferId, String failure) {
			this.executions.computeIfAbsent(transferId, (id) -> new AtomicInteger()).incrementAndGet();
			this.jdbc.update("INSERT INTO test_ledger (transfer_id, amount) VALUES (?, ?)", transferId,
					"refused".equals(failure) ? null : 1);
			fail(transferId, failure);
			return "moved";
		}

		@Transactional
		@Idempotent(name = "keptTokenTransfer", token = true, key = "#token", keepOn = InsufficientFunds.class)
		public String transferWithTokenOrFail(String token, String failure) {
			this.jdbc.update("INSERT INTO test_ledger (transfer_id, amount) VALUES (?, 1)", token);
			this.executions.computeIfAbsent(token, (id) -> new AtomicInteger()).incrementAndGet();
			fail(token, failure);
			return "moved by token";
		}

		private static void fail(String transferId, String failure) {
			switch (failure) {
				case "kept" -> throw new InsufficientFunds("insufficient funds for " + transferId);
				case "system" -> throw new IllegalStateException("ledger offline");
				default -> {
				}
			}
		}

		int executions(String transferId) {
			AtomicInteger count = this.executions.get(transferId);
			return (count != null) ? count.get() : 0;
		}

	}

	/** A business failure the operations keep: unchecked, so it rolls the transaction back. */
	static class InsufficientFunds extends RuntimeException {

		InsufficientFunds(String message) {
			super(message);
		}

	}

}
