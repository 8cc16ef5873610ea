package dev.idempotent.core;

import java.time.Duration;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The storage SPI: a handful of atomic primitives on one storage key each. A store never decides
 * policy; {@link IdempotencyEngine} does.
 * <p>
 * Every write carries a time to live, so nothing lives forever: an {@link RecordState#IN_PROGRESS}
 * record lives for its lease, a {@link RecordState#COMPLETED} one for its retention. Every write
 * after the claim is guarded by the owner token, so a caller whose lease lapsed can never change a
 * record that somebody else now holds.
 * <p>
 * A store signals a storage failure by throwing any {@link RuntimeException}; the engine turns it
 * into {@link IdempotencyStorageUnavailableException} and fails closed.
 */
public interface IdempotencyStore {

	/**
	 * Atomically creates an {@link RecordState#IN_PROGRESS} record if the key is free.
	 * @param key the storage key
	 * @param owner the random token of this claim
	 * @param fingerprint the request fingerprint to store, or {@code null}
	 * @param lease how long the claim lives unless completed, released or extended
	 * @return acquired, or the record that already holds the key
	 */
	ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease);

	/**
	 * Turns the owner's {@link RecordState#IN_PROGRESS} record into a {@link RecordState#COMPLETED}
	 * one holding the outcome, to live for the retention.
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	boolean complete(String key, String owner, String outcome, Duration retention);

	/**
	 * Removes the owner's {@link RecordState#IN_PROGRESS} record (compare and delete).
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	boolean release(String key, String owner);

	/**
	 * Renews the lease of the owner's {@link RecordState#IN_PROGRESS} record.
	 * @return {@code false} when the owner no longer holds the claim (nothing changed)
	 */
	boolean extend(String key, String owner, Duration lease);

	/**
	 * Removes the record whatever its state or owner: an operator's repair.
	 * @return whether a record was removed
	 */
	boolean delete(String key);

	/** Reads the record, if there is one. */
	Optional<IdempotencyRecord> find(String key);

}
