-- Idempotency records of dev.idempotent:idempotent-spring-boot-starter (JdbcIdempotencyStore).
-- Times are epoch milliseconds of the store's clock (the database's, unless the application gives one).
-- Expired rows are invisible to the store and purged in the background.
CREATE TABLE IF NOT EXISTS idempotency_record (
	storage_key VARCHAR(512) NOT NULL,
	state VARCHAR(16) NOT NULL,
	owner_token VARCHAR(64) NOT NULL,
	fingerprint VARCHAR(512),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	outcome TEXT,
	CONSTRAINT idempotency_record_pk PRIMARY KEY (storage_key)
);
CREATE INDEX IF NOT EXISTS idempotency_record_expires_at_ix ON idempotency_record (expires_at);
