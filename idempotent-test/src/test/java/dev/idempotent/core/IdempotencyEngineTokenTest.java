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
package dev.idempotent.core;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.ManualClock;
import dev.idempotent.test.NoOpIdempotencyStore;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** Operations whose keys are one-time tokens the engine issued. */
class IdempotencyEngineTokenTest {

	private static final Duration LEASE = Duration.ofSeconds(30);

	private static final Duration RETENTION = Duration.ofHours(24);

	private static final Duration TOKEN_TTL = Duration.ofMinutes(10);

	private final ManualClock clock = new ManualClock();

	private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(this.clock);

	private final IdempotencyKeys keys = new IdempotencyKeys("idem:", 255);

	private final IdempotencyEngine engine = IdempotencyEngine.builder(this.store)
		.keys(this.keys)
		.clock(this.clock)
		.tokenTtl(TOKEN_TTL)
		.build();

	private final AtomicInteger executions = new AtomicInteger();

	@Test
	void aTokenIsRandomUrlSafeAndExpiresAfterTheTtl() {
		Set<String> tokens = new HashSet<>();
		for (int i = 0; i < 100; i++) {
			IssuedToken issued = this.engine.tokens().issue("comments", "alice");
			assertThat(issued.token()).matches("[A-Za-z0-9_-]{43}");
			assertThat(issued.expiresAt()).isEqualTo(this.clock.instant().plus(TOKEN_TTL));
			tokens.add(issued.token());
		}
		assertThat(tokens).hasSize(100);
	}

	@Test
	void theFirstCallConsumesTheTokenAndADuplicateIsRejectedOrReplayed() throws Throwable {
		String rejected = this.engine.tokens().issue("comments", "alice").token();
		assertThat(execute(rejected, "alice", DuplicatePolicy.REJECT).value()).isEqualTo("comment-1");
		assertThatExceptionOfType(DuplicateRequestException.class)
			.isThrownBy(() -> execute(rejected, "alice", DuplicatePolicy.REJECT));
		String replayed = this.engine.tokens().issue("comments", "alice").token();
		assertThat(execute(replayed, "alice", DuplicatePolicy.REPLAY).value()).isEqualTo("comment-2");
		Execution<String> again = execute(replayed, "alice", DuplicatePolicy.REPLAY);
		assertThat(again.replayed()).isTrue();
		assertThat(again.value()).isEqualTo("comment-2");
		assertThat(this.executions).hasValue(2);
	}

	@Test
	void aKeyThatWasNeverIssuedIsRejectedAndStoresNothing() {
		String forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
		assertThatExceptionOfType(InvalidIdempotencyTokenException.class)
			.isThrownBy(() -> execute(forged, "alice", DuplicatePolicy.REJECT));
		assertThat(this.engine.records().find("comments", "alice", forged)).isEmpty();
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void anExpiredTokenIsRejected() {
		String token = this.engine.tokens().issue("comments", "alice").token();
		this.clock.advance(TOKEN_TTL);
		assertThatExceptionOfType(InvalidIdempotencyTokenException.class)
			.isThrownBy(() -> execute(token, "alice", DuplicatePolicy.REJECT));
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void aTokenIsBoundToItsCallerAndOperationAndAMisuseDoesNotBurnIt() throws Throwable {
		String token = this.engine.tokens().issue("comments", "alice").token();
		assertThatExceptionOfType(InvalidIdempotencyTokenException.class)
			.isThrownBy(() -> execute(token, "bob", DuplicatePolicy.REJECT));
		assertThatExceptionOfType(InvalidIdempotencyTokenException.class)
			.isThrownBy(() -> execute(token, null, DuplicatePolicy.REJECT));
		IdempotencyCall otherOperation = new IdempotencyCall("orders", token, "alice", null, null, policy(
				DuplicatePolicy.REJECT));
		assertThatExceptionOfType(InvalidIdempotencyTokenException.class)
			.isThrownBy(() -> this.engine.execute(otherOperation, TEXT, this::work));
		assertThat(this.executions).hasValue(0);
		assertThat(execute(token, "alice", DuplicatePolicy.REJECT).value()).as("still alice's").isEqualTo("comment-1");
	}

	@Test
	void aReleasedCallLeavesTheTokenLiveForAWholeTtlSoTheRetryRuns() throws Throwable {
		String token = this.engine.tokens().issue("comments", "alice").token();
		this.clock.advance(TOKEN_TTL.minusSeconds(1));
		assertThatIllegalStateException().isThrownBy(() -> this.engine.execute(call(token, "alice",
				DuplicatePolicy.REJECT), TEXT, () -> {
					this.clock.advance(Duration.ofSeconds(5));
					throw new IllegalStateException("database down");
				}));
		assertThat(this.engine.records().find("comments", "alice", token)).as("a token again, not a record").isEmpty();
		this.clock.advance(TOKEN_TTL.minusSeconds(1));
		assertThat(execute(token, "alice", DuplicatePolicy.REJECT).value()).isEqualTo("comment-1");
		assertThatExceptionOfType(DuplicateRequestException.class)
			.isThrownBy(() -> execute(token, "alice", DuplicatePolicy.REJECT));
	}

	@Test
	void aKeptBusinessFailureSpendsTheToken() throws Throwable {
		IdempotencyPolicy keeping = new IdempotencyPolicy(DuplicatePolicy.REPLAY, LEASE, RETENTION, Duration.ZERO,
				new ExceptionPolicy(List.of(IllegalArgumentException.class), List.of()), true);
		String token = this.engine.tokens().issue("comments", "alice").token();
		IdempotencyCall call = new IdempotencyCall("comments", token, "alice", null, null, keeping);
		assertThatIllegalArgumentException().isThrownBy(() -> this.engine.execute(call, TEXT, () -> {
			throw new IllegalArgumentException("spam");
		}));
		Execution<String> replay = this.engine.execute(call, TEXT, this::work);
		assertThat(replay.replayed()).isTrue();
		assertThat(replay.failure()).isInstanceOf(IllegalStateException.class).hasMessage("spam");
		assertThat(this.executions).hasValue(0);
	}

	@Test
	void releaseFromTheCallLeavesTheTokenLive() throws Throwable {
		String token = this.engine.tokens().issue("comments", "alice").token();
		this.engine.execute(call(token, "alice", DuplicatePolicy.REJECT), TEXT, () -> {
			assertThat(this.engine.releaseFromCall(token)).isTrue();
			return "not recorded";
		});
		assertThat(execute(token, "alice", DuplicatePolicy.REJECT).value()).isEqualTo("comment-1");
	}

	@Test
	void concurrentCallsWithOneTokenRunOnce() throws Exception {
		String token = this.engine.tokens().issue("comments", "alice").token();
		List<String> answers = ConcurrentCallers.race(16, () -> {
			try {
				return execute(token, "alice", DuplicatePolicy.REJECT).value();
			}
			catch (RequestInProgressException | DuplicateRequestException ex) {
				return ex.getClass().getSimpleName();
			}
		});
		assertThat(this.executions).hasValue(1);
		assertThat(answers).containsOnlyOnce("comment-1").hasSize(16);
	}

	@Test
	void aTokenOperationWithAScopeIsAMisconfiguration() {
		String token = this.engine.tokens().issue("comments", "alice").token();
		IdempotencyCall scoped = new IdempotencyCall("comments", token, "alice", "tenant-a", null,
				policy(DuplicatePolicy.REJECT));
		assertThatIllegalStateException().isThrownBy(() -> this.engine.execute(scoped, TEXT, this::work))
			.withMessageContaining("comments")
			.withMessageContaining("scope");
	}

	@Test
	void aStoreWithoutTokensSaysSo() {
		// Implements the primitives of plain calls only, as a store written before tokens would.
		IdempotencyStore plain = new NoOpIdempotencyStore();
		IdempotencyEngine engine = new IdempotencyEngine(plain, this.keys, this.clock);
		assertThatExceptionOfType(UnsupportedOperationException.class)
			.isThrownBy(() -> engine.tokens().issue("comments", "alice"))
			.withMessageContaining("does not support one-time tokens");
	}

	@Test
	void aTokenLongerThanTheLongestKeyIsAConfigurationError() {
		IdempotencyEngine shortKeys = IdempotencyEngine.builder(this.store)
			.keys(new IdempotencyKeys("idem:", 20))
			.build();
		assertThatIllegalStateException().isThrownBy(() -> shortKeys.tokens().issue("comments", "alice"))
			.withMessageContaining("maximum key length");
	}

	private Execution<String> execute(String token, @Nullable String caller, DuplicatePolicy onDuplicate)
			throws Throwable {
		return this.engine.execute(call(token, caller, onDuplicate), TEXT, this::work);
	}

	private static IdempotencyCall call(String token, @Nullable String caller, DuplicatePolicy onDuplicate) {
		return new IdempotencyCall("comments", token, caller, null, null, policy(onDuplicate));
	}

	private static IdempotencyPolicy policy(DuplicatePolicy onDuplicate) {
		return IdempotencyPolicy.of(onDuplicate, LEASE, RETENTION).requiringToken();
	}

	private String work() {
		return "comment-" + this.executions.incrementAndGet();
	}

	/** Values as themselves, failures as {@code !message}, read back as {@link IllegalStateException}. */
	private static final OutcomeCodec<String> TEXT = new OutcomeCodec<>() {

		@Override
		public String encode(Outcome<String> outcome) {
			if (outcome instanceof Outcome.Thrown<String> thrown) {
				return "!" + thrown.failure().getMessage();
			}
			return String.valueOf(((Outcome.Returned<String>) outcome).value());
		}

		@Override
		public Outcome<String> decode(String stored) {
			return stored.startsWith("!") ? Outcome.thrown(new IllegalStateException(stored.substring(1)))
					: Outcome.returned(stored);
		}

	};

}
