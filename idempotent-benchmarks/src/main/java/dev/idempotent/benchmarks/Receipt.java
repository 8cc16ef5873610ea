package dev.idempotent.benchmarks;

/**
 * What a benchmarked call answers: small, like a typical created resource.
 *
 * @param id the key the call ran under
 * @param sku the article
 * @param quantity how many
 */
public record Receipt(String id, String sku, int quantity) {

	static Receipt issue(String key, Item item) {
		return new Receipt(key, item.sku(), item.quantity());
	}

}
