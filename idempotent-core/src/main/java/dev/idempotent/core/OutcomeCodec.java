package dev.idempotent.core;

/**
 * Turns a call's {@link Outcome} into the text a store keeps, and back. Implementations must
 * round-trip the method's declared type; they must never use Java serialization, and must only
 * reconstruct failures of types the operation keeps ({@link ExceptionPolicy#keepOn()}).
 *
 * @param <T> the result type
 */
public interface OutcomeCodec<T> {

	/**
	 * Writes an outcome.
	 * @throws RuntimeException if it cannot be written; the engine then keeps an
	 * {@link Outcome.Unavailable} instead
	 */
	String encode(Outcome<T> outcome);

	/**
	 * Reads an outcome back.
	 * @throws RuntimeException if it cannot be read; the duplicate is then refused with
	 * {@link ReplayUnavailableException}
	 */
	Outcome<T> decode(String stored);

}
