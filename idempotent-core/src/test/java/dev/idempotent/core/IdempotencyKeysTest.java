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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class IdempotencyKeysTest {

	private final IdempotencyKeys keys = new IdempotencyKeys("idem:", 255);

	@Test
	void acceptsPrintableAsciiUpToTheLimit() {
		String longest = "k".repeat(255);
		assertThat(this.keys.normalize(longest)).isEqualTo(longest);
		assertThat(this.keys.normalize("order 42/retry#1")).isEqualTo("order 42/retry#1");
	}

	@Test
	void structuredFieldStringIsTheSameKeyAsTheBareOne() {
		assertThat(this.keys.normalize("\"abc\"")).isEqualTo("abc");
		assertThat(this.keys.normalize("\"a\\\"b\\\\c\"")).isEqualTo("a\"b\\c");
	}

	@Test
	void missingKeyIsMissing() {
		assertThatExceptionOfType(MissingIdempotencyKeyException.class).isThrownBy(() -> this.keys.normalize(null));
	}

	@ParameterizedTest
	@ValueSource(strings = { "", "\"\"", "   ", "tab\there", "caf\u00e9", "line\nbreak", "\u0000", "\"bad\\x\"",
			"\"a\"b\"", "\"abc", "\"abc\"x", "\"" })
	void rejectsMalformedKeys(String key) {
		assertThatExceptionOfType(InvalidIdempotencyKeyException.class).isThrownBy(() -> this.keys.normalize(key));
	}

	@Test
	void rejectsKeysOverTheLimit() {
		assertThatExceptionOfType(InvalidIdempotencyKeyException.class)
			.isThrownBy(() -> this.keys.normalize("k".repeat(256)))
			.withMessageContaining("255");
	}

	@Test
	void storageKeysAreScopedByOperationAndCallerAndHideTheClientKey() {
		String alice = this.keys.storageKey("orders", "alice", "k1");
		assertThat(alice).startsWith("idem:orders:").doesNotContain("k1").doesNotContain("alice");
		assertThat(this.keys.storageKey("orders", "alice", "k1")).isEqualTo(alice);
		assertThat(this.keys.storageKey("orders", "bob", "k1")).isNotEqualTo(alice);
		assertThat(this.keys.storageKey("payments", "alice", "k1")).isNotEqualTo(alice);
		assertThat(this.keys.storageKey("orders", null, "k1")).isNotEqualTo(alice);
		// Length-prefixed hashing: moving characters between caller and key never collides.
		assertThat(this.keys.storageKey("orders", "ab", "c")).isNotEqualTo(this.keys.storageKey("orders", "a", "bc"));
	}

	@Test
	void storageKeysAreScopedByTheFurtherScopeToo() {
		String tenantA = this.keys.storageKey("orders", "alice", "tenant-a", "k1");
		assertThat(tenantA).startsWith("idem:orders:").doesNotContain("tenant-a");
		assertThat(this.keys.storageKey("orders", "alice", "tenant-a", "k1")).isEqualTo(tenantA);
		assertThat(this.keys.storageKey("orders", "alice", "tenant-b", "k1")).isNotEqualTo(tenantA);
		assertThat(this.keys.storageKey("orders", "alice", null, "k1")).isNotEqualTo(tenantA)
			.isEqualTo(this.keys.storageKey("orders", "alice", "k1"));
		// A scope never stands in for a caller or a key.
		assertThat(this.keys.storageKey("orders", "alice", "", "k1"))
			.isNotEqualTo(this.keys.storageKey("orders", "alice", "k1"));
		assertThat(this.keys.storageKey("orders", "k1", "alice", "x"))
			.isNotEqualTo(this.keys.storageKey("orders", "alice", "k1", "x"));
	}

	@Test
	void aSecretMakesKeyedHashesThatPlainSha256CannotRecompute() {
		byte[] secret = "a secret of at least thirty-two bytes!".getBytes(StandardCharsets.UTF_8);
		byte[] other = "another secret, at least thirty-two bytes".getBytes(StandardCharsets.UTF_8);
		IdempotencyKeys keyed = new IdempotencyKeys("idem:", 255, secret);
		String storageKey = keyed.storageKey("orders", "alice", "k1");
		String plainHash = new Fingerprint().add("alice").add("k1").toHex();
		assertThat(this.keys.storageKey("orders", "alice", "k1")).isEqualTo("idem:orders:" + plainHash);
		assertThat(storageKey).startsWith("idem:orders:").doesNotContain(plainHash)
			.isEqualTo(keyed.storageKey("orders", "alice", "k1"))
			.isEqualTo("idem:orders:" + new Fingerprint(secret).add("alice").add("k1").toHex())
			.isNotEqualTo(new IdempotencyKeys("idem:", 255, other).storageKey("orders", "alice", "k1"));
		assertThat(keyed.storedFingerprint("abc")).isNotEqualTo("abc")
			.isEqualTo(keyed.storedFingerprint("abc"))
			.isNotEqualTo(new IdempotencyKeys("idem:", 255, other).storedFingerprint("abc"));
		assertThat(this.keys.storedFingerprint("abc")).isEqualTo("abc");
		assertThat(keyed.storedFingerprint(null)).isNull();
	}

	@Test
	void aShortSecretIsRefused() {
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> new IdempotencyKeys("idem:", 255, new byte[31]))
			.withMessageContaining("at least 32 bytes");
	}

}
