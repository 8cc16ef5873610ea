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
package dev.idempotent.client;

import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** Policy settings and scopes, without HTTP: what a bad setting says, how scopes nest. */
class IdempotencyKeyPolicyTest {

	@Test
	void defaultsArePostAndPatchInTheIdempotencyKeyHeader() {
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults();
		assertThat(policy.header()).isEqualTo("Idempotency-Key");
		assertThat(policy.methods()).containsExactlyInAnyOrder("POST", "PATCH");
		assertThat(policy.appliesTo("post")).isTrue();
		assertThat(policy.appliesTo("PUT")).isFalse();
		assertThat(policy.newKey()).isNotEqualTo(policy.newKey());
		assertThat(policy.withMethods("put", "PUT", "Post").methods()).containsExactlyInAnyOrder("PUT", "POST");
	}

	@Test
	void badSettingsAreRefusedWithTheValueNamed() {
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults();
		assertThatIllegalArgumentException().isThrownBy(() -> policy.withHeader("Idempotency Key"))
			.withMessageContaining("'Idempotency Key'");
		assertThatIllegalArgumentException().isThrownBy(() -> policy.withHeader(""));
		assertThatIllegalArgumentException().isThrownBy(() -> policy.withMethods())
			.withMessageContaining("At least one HTTP method");
		assertThatIllegalArgumentException().isThrownBy(() -> policy.withMethods("PO ST"))
			.withMessageContaining("'PO ST'");
		assertThatIllegalArgumentException().isThrownBy(() -> IdempotencyKeyScope.call("caf\u00e9", () -> "ran"))
			.withMessageContaining("printable ASCII");
	}

	@Test
	void generatorGivingNoUsableKeyFailsWhenAKeyIsNeeded() {
		IdempotencyKeyPolicy nothing = IdempotencyKeyPolicy.defaults().withGenerator(() -> null);
		IdempotencyKeyPolicy tab = IdempotencyKeyPolicy.defaults().withGenerator(() -> "a\tb");
		assertThatIllegalStateException().isThrownBy(nothing::newKey).withMessageContaining("returned null");
		assertThatIllegalStateException().isThrownBy(tab::newKey).withMessageContaining("printable ASCII");
	}

	@Test
	void keyForCallIsMadeOnceAndKept() {
		int[] generated = { 0 };
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults().withGenerator(() -> "k" + ++generated[0]);
		Supplier<String> call = policy.keyForCall();
		assertThat(generated[0]).as("nothing made before the key is needed").isZero();
		assertThat(call.get()).isEqualTo("k1");
		assertThat(call.get()).isEqualTo("k1");
		assertThat(policy.keyForCall().get()).isEqualTo("k2");
	}

	@Test
	void scopesNestAndEndWithTheirCall() {
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults();
		String[] seen = new String[4];
		IdempotencyKeyScope.call("outer", () -> {
			seen[0] = policy.newKey();
			IdempotencyKeyScope.call(() -> {
				seen[1] = policy.newKey();
				seen[2] = policy.newKey();
				return null;
			});
			seen[3] = policy.newKey();
			return null;
		});
		assertThat(seen[0]).isEqualTo("outer");
		assertThat(seen[1]).isNotEqualTo("outer").isEqualTo(seen[2]);
		assertThat(seen[3]).isEqualTo("outer");
		assertThat(policy.newKey()).isNotIn(seen);
	}

	@Test
	void scopeEndsWhenItsCallThrows() {
		IdempotencyKeyPolicy policy = IdempotencyKeyPolicy.defaults().withGenerator(() -> "fresh");
		assertThatIllegalStateException().isThrownBy(() -> IdempotencyKeyScope.call("scoped", () -> {
			throw new IllegalStateException("boom");
		}));
		assertThat(policy.newKey()).isEqualTo("fresh");
	}

}
