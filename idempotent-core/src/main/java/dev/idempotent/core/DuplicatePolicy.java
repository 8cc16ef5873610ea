package dev.idempotent.core;

/** What a duplicate of a completed call gets. */
public enum DuplicatePolicy {

	/** Reject it with {@link DuplicateRequestException} (HTTP 409). */
	REJECT,

	/** Return the first call's stored outcome again (HTTP: same status and body). */
	REPLAY

}
