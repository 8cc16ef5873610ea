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

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OwnerTokensTest {

	@Test
	void tokensMadeAtOnceOnManyThreadsAreAllDifferentAndFitEveryStore() throws Exception {
		int threads = 8;
		int each = 20_000;
		OwnerTokens owners = new OwnerTokens();
		Set<String> tokens = ConcurrentHashMap.newKeySet();
		CountDownLatch start = new CountDownLatch(1);
		List<Thread> makers = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			Thread maker = new Thread(() -> {
				try {
					start.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				for (int i = 0; i < each; i++) {
					tokens.add(owners.next());
				}
			});
			maker.start();
			makers.add(maker);
		}
		start.countDown();
		for (Thread maker : makers) {
			maker.join();
		}
		assertThat(tokens).hasSize(threads * each);
		// At most a UUID's 36 characters (the JDBC column holds 64), and nothing a record format separates with.
		assertThat(tokens).allSatisfy((token) -> assertThat(token).hasSizeLessThanOrEqualTo(36)
			.matches("[A-Za-z0-9_-]{22}\\.[0-9a-z]+"));
	}

	@Test
	void anotherEngineNumbersItsClaimsAfterAnotherRandomPrefix() {
		Set<String> prefixes = new HashSet<>();
		Set<String> firstTokens = new HashSet<>();
		for (int engine = 0; engine < 5; engine++) {
			// Each stands for an engine built anew, in this instance or in one started later.
			String token = new OwnerTokens().next();
			prefixes.add(token.substring(0, token.indexOf('.')));
			firstTokens.add(token);
		}
		// The same claim number, never the same token.
		assertThat(firstTokens).hasSize(5).allSatisfy((token) -> assertThat(token).endsWith(".1"));
		assertThat(prefixes).hasSize(5);
	}

}
