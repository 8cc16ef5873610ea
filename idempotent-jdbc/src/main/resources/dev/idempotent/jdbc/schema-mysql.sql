-- Idempotency records of dev.idempotent:idempotent-spring-boot-starter (JdbcIdempotencyStore).
-- Times are epoch milliseconds of the store's clock (the database's, unless the application gives one).
-- Expired rows are invisible to the store and purged in the background. Keys compare byte for byte,
-- trailing spaces included.
CREATE TABLE IF NOT EXISTS idempotency_record (
	storage_key VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin NOT NULL,
	state VARCHAR(16) NOT NULL,
	owner_token VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin NOT NULL,
	fingerprint VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	outcome LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin,
	PRIMARY KEY (storage_key),
	INDEX idempotency_record_expires_at_ix (expires_at)
) ENGINE = InnoDB DEFAULT CHARACTER SET = utf8mb4;
