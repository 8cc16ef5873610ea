package dev.idempotent.example.transfers;

import java.math.BigDecimal;

/**
 * A transfer made.
 *
 * @param id the transfer's id
 * @param from the debited account
 * @param to the credited account
 * @param amount how much
 * @param owner the user who asked for it
 */
public record Transfer(String id, String from, String to, BigDecimal amount, String owner) {
}
