package dev.idempotent.example.orders;

/**
 * A placed order.
 *
 * @param id the order's id
 * @param sku the product
 * @param quantity how many
 * @param owner the user who placed it
 */
public record Order(String id, String sku, int quantity, String owner) {
}
