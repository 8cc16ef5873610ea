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
package dev.idempotent.spring;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.Fingerprint;
import dev.idempotent.core.Outcome;
import dev.idempotent.core.OutcomeDecryptionException;
import dev.idempotent.core.OutcomeRedactor;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.test.servers.TestRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Outcomes encrypted at rest, keyed hashes and redaction, on a real Redis read back with a plain client
 * as {@code redis-cli GET} would: what a reader of the store sees, and what a duplicate gets.
 */
class EncryptionAtRestTests {

	private static final String CARD = "4111111111111111";

	private static final String SECRET = "a key secret of thirty-two bytes or more, for tests";

	private final String prefix = "encryption-test-" + UUID.randomUUID() + ":";

	private final String keyA = newKey();

	private final String keyB = newKey();

	private final AtomicInteger runs = new AtomicInteger();

	private final RedisClient client = RedisClient
		.create(RedisURI.create(TestRedis.endpoint().host(), TestRedis.endpoint().port()));

	private final StatefulRedisConnection<String, String> connection = this.client.connect();

	private final RedisCommands<String, String> redis = this.connection.sync();

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, DataRedisAutoConfiguration.class,
				JacksonAutoConfiguration.class))
		.withPropertyValues("spring.data.redis.host=" + TestRedis.endpoint().host(),
				"spring.data.redis.port=" + TestRedis.endpoint().port(), "idempotent.key-prefix=" + this.prefix);

	@AfterEach
	void close() {
		this.connection.close();
		this.client.shutdown();
	}

	@Test
	void redisHoldsNoReadableOutcomeNorKeyAndADuplicateGetsTheFirstAnswer() {
		encrypted("a", Map.of("a", this.keyA)).withPropertyValues("idempotent.key-secret=" + SECRET).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			Payment first = idempotence.execute("payments", "order-4711", "amount=120;card=" + CARD, Payment.class,
					() -> pay("Alice Example"));
			Map<String, String> record = record(onlyKey("payments"));
			assertThat(record).containsKeys("state", "outcome", "fingerprint");
			assertThat(record.get("outcome")).startsWith("v1:a:");
			assertThat(onlyKey("payments")).doesNotContain("order-4711");
			assertThat(String.join("|", record.values())).doesNotContain(CARD)
				.doesNotContain("Alice")
				.doesNotContain(first.id())
				.doesNotContain("order-4711")
				.doesNotContain("amount=120");

			Payment again = idempotence.execute("payments", "order-4711", "amount=120;card=" + CARD, Payment.class,
					() -> pay("Someone Else"));
			assertThat(again).isEqualTo(first);
			assertThat(this.runs).hasValue(1);
		});
	}

	@Test
	void rotatedKeysReadTheOldRecordsAndARemovedKeyRefusesTheDuplicateWithoutRunning() {
		encrypted("a", Map.of("a", this.keyA)).run((context) -> context.getBean(IdempotenceService.class)
			.execute("rotation-old", "order-1", Payment.class, () -> pay("Alice")));
		Payment underA = replay("rotation-old");
		String oldRecord = field(onlyKey("rotation-old"), "outcome");
		assertThat(oldRecord).startsWith("v1:a:");

		encrypted("b", Map.of("a", this.keyA, "b", this.keyB)).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			assertThat(idempotence.execute("rotation-old", "order-1", Payment.class, () -> pay("Bob")))
				.isEqualTo(underA);
			idempotence.execute("rotation-new", "order-2", Payment.class, () -> pay("Carol"));
		});
		assertThat(this.runs).hasValue(2);
		assertThat(field(onlyKey("rotation-new"), "outcome")).startsWith("v1:b:");
		assertThat(field(onlyKey("rotation-old"), "outcome")).isEqualTo(oldRecord);

		encrypted("b", Map.of("b", this.keyB)).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			assertThatExceptionOfType(OutcomeDecryptionException.class)
				.isThrownBy(() -> idempotence.execute("rotation-old", "order-1", Payment.class, () -> pay("Dave")))
				.isInstanceOf(ReplayUnavailableException.class)
				.satisfies((ex) -> {
					assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.UNKNOWN_KEY);
					assertThat(ex.getKeyId()).isEqualTo("a");
				});
			assertThat(idempotence.execute("rotation-new", "order-2", Payment.class, () -> pay("Eve")).payer())
				.isEqualTo("Carol");
		});
		assertThat(this.runs).as("neither duplicate ran").hasValue(2);
	}

	@Test
	void anAlteredOrMovedCiphertextRefusesTheDuplicateWithoutRunning() {
		encrypted("a", Map.of("a", this.keyA)).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			idempotence.execute("altered", "order-1", Payment.class, () -> pay("Alice"));
			idempotence.execute("moved", "order-1", Payment.class, () -> pay("Bob"));
			String altered = onlyKey("altered");
			String outcome = field(altered, "outcome");
			// A well-formed ciphertext, but another record's.
			writeOutcome(onlyKey("moved"), outcome);
			int middle = outcome.length() / 2;
			char flipped = (outcome.charAt(middle) == 'A') ? 'B' : 'A';
			writeOutcome(altered, outcome.substring(0, middle) + flipped + outcome.substring(middle + 1));

			for (String operation : List.of("altered", "moved")) {
				assertThatExceptionOfType(OutcomeDecryptionException.class)
					.isThrownBy(() -> idempotence.execute(operation, "order-1", Payment.class, () -> pay("Mallory")))
					.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(OutcomeDecryptionException.Reason.TAMPERED));
			}
			assertThat(this.runs).hasValue(2);
		});
	}

	@Test
	void outcomesStoredInClearBeforeEncryptionReplayUnlessRefused() {
		this.runner.run((context) -> context.getBean(IdempotenceService.class)
			.execute("clear", "order-1", Payment.class, () -> pay("Alice")));
		assertThat(field(onlyKey("clear"), "outcome")).contains("Alice");
		encrypted("a", Map.of("a", this.keyA)).run((context) -> assertThat(context.getBean(IdempotenceService.class)
			.execute("clear", "order-1", Payment.class, () -> pay("Bob"))
			.payer()).isEqualTo("Alice"));
		encrypted("a", Map.of("a", this.keyA)).withPropertyValues("idempotent.encryption.accept-plaintext=false")
			.run((context) -> assertThatExceptionOfType(OutcomeDecryptionException.class)
				.isThrownBy(() -> context.getBean(IdempotenceService.class)
					.execute("clear", "order-1", Payment.class, () -> pay("Bob")))
				.satisfies((ex) -> assertThat(ex.getReason())
					.isEqualTo(OutcomeDecryptionException.Reason.NOT_ENCRYPTED)));
		assertThat(this.runs).hasValue(1);
	}

	@Test
	void aKeySecretMakesStorageKeysThatPlainSha256CannotRecomputeAndEachSecretItsOwn() {
		String plainHash = new Fingerprint().add("").add("order-1").toHex();
		this.runner.run((context) -> context.getBean(IdempotenceService.class)
			.execute("plain", "order-1", Payment.class, () -> pay("Alice")));
		assertThat(onlyKey("plain")).as("without a secret, anyone can recompute the key name")
			.isEqualTo(this.prefix + "plain:" + plainHash);

		Consumer<String> runWithSecret = (secret) -> this.runner.withPropertyValues("idempotent.key-secret=" + secret)
			.run((context) -> context.getBean(IdempotenceService.class)
				.execute("keyed", "order-1", "amount=1", Payment.class, () -> pay("Alice")));
		runWithSecret.accept(SECRET);
		String first = onlyKey("keyed");
		assertThat(first).isNotEqualTo(this.prefix + "keyed:" + plainHash);
		assertThat(field(first, "fingerprint")).isNotEqualTo("amount=1")
			.isNotEqualTo(new Fingerprint().add("amount=1").toHex());

		runWithSecret.accept(SECRET + " (rotated)");
		List<String> both = this.redis.keys(this.prefix + "keyed:*");
		assertThat(both).as("another secret, another key name").hasSize(2).contains(first);
		assertThat(this.runs).as("a record written under the old secret is not found under the new one")
			.hasValue(3);
	}

	@Test
	void aRedactorDecidesWhatADuplicateReplaysAndTheFirstCallerStillGetsAll() {
		OutcomeRedactor dropCard = (call, outcome) -> (outcome instanceof Outcome.Returned<?> returned
				&& returned.value() instanceof Payment payment) ? Outcome.returned(payment.withoutCard()) : outcome;
		this.runner.withBean(OutcomeRedactor.class, () -> dropCard).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			Payment first = idempotence.execute("redacted", "order-1", Payment.class, () -> pay("Alice"));
			assertThat(first.card()).isEqualTo(CARD);
			assertThat(field(onlyKey("redacted"), "outcome")).contains("Alice").doesNotContain(CARD);
			Payment again = idempotence.execute("redacted", "order-1", Payment.class, () -> pay("Bob"));
			assertThat(again).isEqualTo(first.withoutCard());
			assertThat(this.runs).hasValue(1);
		});
	}

	@Test
	void aRedactorThatKeepsNothingRefusesTheDuplicateWithoutRunning() {
		OutcomeRedactor keepNothing = (call, outcome) -> Outcome.unavailable("holds card data");
		this.runner.withBean(OutcomeRedactor.class, () -> keepNothing).run((context) -> {
			IdempotenceService idempotence = context.getBean(IdempotenceService.class);
			idempotence.execute("nothing-kept", "order-1", Payment.class, () -> pay("Alice"));
			assertThat(field(onlyKey("nothing-kept"), "outcome")).doesNotContain(CARD).doesNotContain("Alice");
			assertThatExceptionOfType(ReplayUnavailableException.class)
				.isThrownBy(() -> idempotence.execute("nothing-kept", "order-1", Payment.class, () -> pay("Bob")));
			assertThat(this.runs).hasValue(1);
		});
	}

	// A completed record as the Redis store keeps it: 1|C|<owner>|<fingerprint>|<created>|<outcome>.
	private Map<String, String> record(String key) {
		String[] fields = this.redis.get(key).split("\\|", 6);
		assertThat(fields[0] + "|" + fields[1]).as("a completed record").isEqualTo("1|C");
		return Map.of("state", "COMPLETED", "owner", fields[2], "fingerprint", fields[3], "created", fields[4],
				"outcome", fields[5]);
	}

	private String field(String key, String name) {
		return record(key).get(name);
	}

	private void writeOutcome(String key, String outcome) {
		String record = this.redis.get(key);
		int outcomeStart = 0;
		for (int separators = 0; separators < 5; separators++) {
			outcomeStart = record.indexOf('|', outcomeStart) + 1;
		}
		this.redis.set(key, record.substring(0, outcomeStart) + outcome, SetArgs.Builder.keepttl());
	}

	private ApplicationContextRunner encrypted(String active, Map<String, String> keys) {
		ApplicationContextRunner encrypted = this.runner.withPropertyValues("idempotent.encryption.enabled=true",
				"idempotent.encryption.active-key=" + active);
		for (Map.Entry<String, String> key : keys.entrySet()) {
			encrypted = encrypted.withPropertyValues("idempotent.encryption.keys." + key.getKey() + "=" + key.getValue());
		}
		return encrypted;
	}

	// The one record of an operation in this test's key space.
	private String onlyKey(String operation) {
		List<String> keys = this.redis.keys(this.prefix + operation + ":*");
		assertThat(keys).as("records of " + operation).hasSize(1);
		return keys.get(0);
	}

	// What the first run of an operation returned: replayed by a context that holds key A.
	private Payment replay(String operation) {
		Payment[] replayed = new Payment[1];
		encrypted("a", Map.of("a", this.keyA)).run((context) -> replayed[0] = context
			.getBean(IdempotenceService.class)
			.execute(operation, "order-1", Payment.class, () -> pay("never")));
		return replayed[0];
	}

	private Payment pay(String payer) {
		return new Payment("pay-" + this.runs.incrementAndGet() + "-" + UUID.randomUUID(), payer, CARD);
	}

	private static String newKey() {
		byte[] key = new byte[32];
		new SecureRandom().nextBytes(key);
		return Base64.getEncoder().encodeToString(key);
	}

	record Payment(String id, String payer, @Nullable String card) {

		Payment withoutCard() {
			return new Payment(this.id, this.payer, null);
		}

	}

}
