package dev.idempotent.benchmarks;

/**
 * What a benchmarked call asks for: small, like a typical command.
 *
 * @param sku the article
 * @param quantity how many
 */
public record Item(String sku, int quantity) {

}
