package dev.idempotent.example.transfers;

/** What a transfer request asks the example to simulate. */
public enum SimulatedFailure {

	/** The transfer goes through (if the funds suffice). */
	NONE,

	/**
	 * The ledger is unreachable on the first attempt for a key: a system failure. The key is released,
	 * so the client's retry runs again, and succeeds.
	 */
	SYSTEM,

	/** The account has insufficient funds: a business failure. The key is kept; a retry replays it. */
	BUSINESS

}
