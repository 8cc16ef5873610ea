package dev.idempotent.core.store;

/** The state of a stored idempotency record. */
public enum RecordState {

	/** Claimed by an owner whose call is still running; lives as long as its lease. */
	IN_PROGRESS,

	/** The call finished and its outcome is stored; lives as long as the retention. */
	COMPLETED

}
