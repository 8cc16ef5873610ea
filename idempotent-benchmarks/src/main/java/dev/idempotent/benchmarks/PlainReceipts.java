package dev.idempotent.benchmarks;

/** The benchmarked method without {@code @Idempotent}: the baseline, not proxied at all. */
public class PlainReceipts {

	public Receipt issue(String key, Item item) {
		return Receipt.issue(key, item);
	}

}
