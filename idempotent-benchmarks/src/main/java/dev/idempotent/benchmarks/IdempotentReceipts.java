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
package dev.idempotent.benchmarks;

import dev.idempotent.spring.Idempotent;

/**
 * The benchmarked methods with {@link Idempotent}: the same trivial work as {@link PlainReceipts}, so
 * the difference is what the annotation costs.
 */
public class IdempotentReceipts {

	static final String OPERATION = "receipts";

	static final String REPLAYED_OPERATION = "receipts-replayed";

	/**
	 * Called with a new key each time. A short lease and retention keep the records a run leaves in a
	 * shared Redis few and short-lived.
	 */
	@Idempotent(name = OPERATION, key = "#key", lease = "${bench.retention}", retention = "${bench.retention}")
	public Receipt issue(String key, Item item) {
		return Receipt.issue(key, item);
	}

	/** Called with one completed key again and again: the duplicate path. Its record outlives a run. */
	@Idempotent(name = REPLAYED_OPERATION, key = "#key", retention = "1h")
	public Receipt reissue(String key, Item item) {
		return Receipt.issue(key, item);
	}

}
