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
import reactor.core.publisher.Mono;

/**
 * The benchmarked reactive methods: {@link IdempotentReceipts}' work, returned as a {@code Mono}, with
 * {@link Idempotent}. Their floor is the same {@code Mono} doing by hand what any Redis-based
 * idempotency must ({@link ReactiveIdempotencyBenchmarks}).
 */
public class ReactiveReceipts {

	static final String OPERATION = "reactive-receipts";

	static final String REPLAYED_OPERATION = "reactive-receipts-replayed";

	/** Called with a new key each time; a short lease and retention, as {@link IdempotentReceipts#issue}. */
	@Idempotent(name = OPERATION, key = "#key", lease = "${bench.retention}", retention = "${bench.retention}")
	public Mono<Receipt> issue(String key, Item item) {
		return Mono.fromSupplier(() -> Receipt.issue(key, item));
	}

	/** Called with one completed key again and again: the duplicate path. */
	@Idempotent(name = REPLAYED_OPERATION, key = "#key", retention = "1h")
	public Mono<Receipt> reissue(String key, Item item) {
		return Mono.fromSupplier(() -> Receipt.issue(key, item));
	}

}
