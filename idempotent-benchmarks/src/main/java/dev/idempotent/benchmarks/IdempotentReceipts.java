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
