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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.store.InMemoryIdempotencyStore;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.test.ManualClock;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * What the engine stores of an outcome, with a redactor, an encryption and a key secret: what a
 * duplicate gets when any of them fails, and that none of them ever runs a call twice.
 */
class IdempotencyEngineStoredOutcomeTest {

	private static final IdempotencyPolicy REPLAY = IdempotencyPolicy.of(DuplicatePolicy.REPLAY,
			Duration.ofSeconds(30), Duration.ofHours(24));

	private static final byte[] SECRET = "a key secret of thirty-two bytes or more".getBytes(StandardCharsets.UTF_8);

	private final ManualClock clock = new ManualClock();

	private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(this.clock);

	private final IdempotencyKeys keys = new IdempotencyKeys("idem:", 255, SECRET);

	private final AtomicInteger runs = new AtomicInteger();

	private final AesGcmOutcomeEncryption aes = new AesGcmOutcomeEncryption(Map.of("a", new byte[32]), "a", true);

	@Test
	void anEncryptedOutcomeIsStoredUnreadableAndReplayed() throws Throwable {
		IdempotencyEngine engine = engine().encryption(this.aes).build();
		engine.execute(call("k1", "fp-1"), IdempotencyEngineTest.TEXT, () -> work("secret-value"));
		IdempotencyRecord record = engine.records().find("orders", null, "k1").orElseThrow();
		assertThat(record.outcome()).startsWith("v1:a:").doesNotContain("secret-value");
		assertThat(record.fingerprint()).isNotEqualTo("fp-1").isEqualTo(this.keys.storedFingerprint("fp-1"));
		assertThat(engine.execute(call("k1", "fp-1"), IdempotencyEngineTest.TEXT, () -> work("other")).value())
			.isEqualTo("secret-value");
		assertThatExceptionOfType(IdempotencyKeyReusedException.class).as("keyed fingerprints still compare")
			.isThrownBy(() -> engine.execute(call("k1", "fp-2"), IdempotencyEngineTest.TEXT, () -> work("other")));
		assertThat(this.runs).hasValue(1);
	}

	@Test
	void aRedactorThatFailsStoresNothingAndTheDuplicateIsRefused() throws Throwable {
		IdempotencyEngine engine = engine().redactor((call, outcome) -> {
			throw new IllegalStateException("redactor bug");
		}).build();
		assertThat(engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("whole")).value())
			.as("the first caller gets the whole answer").isEqualTo("whole");
		assertThat(engine.records().find("orders", null, "k1").orElseThrow().outcome()).doesNotContain("whole");
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("again")));
		assertThat(this.runs).hasValue(1);
	}

	@Test
	void theSizeLimitAppliesToTheEncryptedText() throws Throwable {
		String value = "x".repeat(100);
		IdempotencyEngine plain = engine().maxOutcomeSize(120).build();
		plain.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work(value));
		assertThat(plain.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("y")).value()).isEqualTo(value);
		IdempotencyEngine encrypted = engine().maxOutcomeSize(120).encryption(this.aes).build();
		encrypted.execute(call("k2", null), IdempotencyEngineTest.TEXT, () -> work(value));
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> encrypted.execute(call("k2", null), IdempotencyEngineTest.TEXT, () -> work("y")));
		assertThat(this.runs).hasValue(2);
	}

	@Test
	void anEncryptionThatCannotEncryptStoresAMarkerThatRefusesTheDuplicate() throws Throwable {
		IdempotencyEngine engine = engine().encryption(new OutcomeEncryption() {

			@Override
			public String encrypt(String storageKey, String outcome) {
				throw new IllegalStateException("key service down");
			}

			@Override
			public String decrypt(String storageKey, String stored) {
				return stored;
			}

		}).build();
		engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("secret-value"));
		assertThat(engine.records().find("orders", null, "k1").orElseThrow().outcome())
			.doesNotContain("secret-value");
		assertThatExceptionOfType(ReplayUnavailableException.class)
			.isThrownBy(() -> engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("again")));
		assertThat(this.runs).hasValue(1);
	}

	@Test
	void aPassingDecryptionFailureIsAnOutageAndRunsNothing() throws Throwable {
		boolean[] down = new boolean[1];
		IdempotencyEngine engine = engine().encryption(new OutcomeEncryption() {

			@Override
			public String encrypt(String storageKey, String outcome) {
				return "sealed:" + outcome;
			}

			@Override
			public String decrypt(String storageKey, String stored) {
				if (down[0]) {
					throw new IllegalStateException("key service timed out");
				}
				return stored.substring("sealed:".length());
			}

		}).build();
		engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("value"));
		down[0] = true;
		assertThatExceptionOfType(IdempotencyStorageUnavailableException.class)
			.isThrownBy(() -> engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("again")));
		down[0] = false;
		assertThat(engine.execute(call("k1", null), IdempotencyEngineTest.TEXT, () -> work("again")).value())
			.isEqualTo("value");
		assertThat(this.runs).hasValue(1);
	}

	private IdempotencyEngine.Builder engine() {
		return IdempotencyEngine.builder(this.store).keys(this.keys).clock(this.clock);
	}

	private static IdempotencyCall call(String key, @Nullable String fingerprint) {
		return new IdempotencyCall("orders", key, null, null, fingerprint, REPLAY);
	}

	private String work(String value) {
		this.runs.incrementAndGet();
		return value;
	}

}
