/*
 * Copyright the idempotent authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file except in
 * compliance with the License. You may obtain a copy of the License at
 *
 *      https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the License is
 * distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or
 * implied. See the License for the specific language governing permissions and limitations under the
 * License.
 */
package dev.idempotent.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.idempotent.core.AesGcmOutcomeEncryption;
import dev.idempotent.core.IdempotencyKeys;
import dev.idempotent.core.StoreDurations;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.interceptor.IdempotencyDefaults;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of {@link Idempotent} calls ({@code idempotent.*}).
 */
@ConfigurationProperties("idempotent")
public class IdempotencyProperties {

	/**
	 * Whether @Idempotent methods are guarded. When false, they run as plain methods.
	 */
	private boolean enabled = true;

	/**
	 * Prefix of every storage key, so the records of several applications can share one store.
	 */
	private String keyPrefix = "idempotency:";

	/**
	 * HTTP request header carrying the idempotency key, unless @Idempotent names another.
	 */
	private String header = "Idempotency-Key";

	/**
	 * How long a running call's claim lives; a claim whose process died lapses after it.
	 */
	private Duration lease = Duration.ofSeconds(30);

	/**
	 * How long a completed call's outcome is kept for replay or rejection of duplicates.
	 */
	private Duration retention = Duration.ofHours(24);

	/**
	 * Longest idempotency key accepted, in characters; longer keys are rejected with 400.
	 */
	private int maxKeyLength = 255;

	/**
	 * Largest outcome kept for replay, as stored (JSON, or its encryption). A call whose outcome is larger still
	 * completes, but its duplicates are refused with 409 (replay-unavailable) rather than run again.
	 */
	private DataSize maxOutcomeSize = DataSize.ofKilobytes(64);

	/**
	 * Business failures of every @Idempotent method: exceptions that keep the key, so a duplicate
	 * gets the same failure. Added to each annotation's keepOn.
	 */
	private List<Class<? extends Throwable>> keepOn = new ArrayList<>();

	/**
	 * System failures of every @Idempotent method: exceptions that release the key so a retry runs
	 * (which any exception not kept does). Added to each annotation's releaseOn.
	 */
	private List<Class<? extends Throwable>> releaseOn = new ArrayList<>();

	/**
	 * Secret that keys the hashes of idempotency keys and request fingerprints (HMAC-SHA256), so that
	 * whoever reads the store cannot test guesses against them; at least 32 characters. Unset: plain
	 * SHA-256. Changing it makes every record written before unreachable: retries of earlier requests
	 * run again.
	 */
	private @Nullable String keySecret;

	private final Store store = new Store();

	private final Encryption encryption = new Encryption();

	private final Redis redis = new Redis();

	private final Token token = new Token();

	private final Memory memory = new Memory();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public String getKeyPrefix() {
		return this.keyPrefix;
	}

	public void setKeyPrefix(String keyPrefix) {
		this.keyPrefix = (keyPrefix != null) ? keyPrefix : "";
	}

	public String getHeader() {
		return this.header;
	}

	public void setHeader(String header) {
		if (header == null || header.isBlank()) {
			throw new IllegalArgumentException("idempotent.header must name an HTTP header");
		}
		this.header = header.trim();
	}

	public Duration getLease() {
		return this.lease;
	}

	public void setLease(Duration lease) {
		this.lease = requirePositive(lease, "idempotent.lease");
	}

	public Duration getRetention() {
		return this.retention;
	}

	public void setRetention(Duration retention) {
		this.retention = requirePositive(retention, "idempotent.retention");
	}

	public int getMaxKeyLength() {
		return this.maxKeyLength;
	}

	public void setMaxKeyLength(int maxKeyLength) {
		if (maxKeyLength < 1) {
			throw new IllegalArgumentException("idempotent.max-key-length must be at least 1, was " + maxKeyLength);
		}
		this.maxKeyLength = maxKeyLength;
	}

	public DataSize getMaxOutcomeSize() {
		return this.maxOutcomeSize;
	}

	public void setMaxOutcomeSize(DataSize maxOutcomeSize) {
		if (maxOutcomeSize == null || maxOutcomeSize.toBytes() < 1 || maxOutcomeSize.toBytes() > Integer.MAX_VALUE) {
			throw new IllegalArgumentException(
					"idempotent.max-outcome-size must be between 1B and 2GB, was " + maxOutcomeSize);
		}
		this.maxOutcomeSize = maxOutcomeSize;
	}

	public List<Class<? extends Throwable>> getKeepOn() {
		return this.keepOn;
	}

	public void setKeepOn(List<Class<? extends Throwable>> keepOn) {
		this.keepOn = (keepOn != null) ? keepOn : new ArrayList<>();
	}

	public List<Class<? extends Throwable>> getReleaseOn() {
		return this.releaseOn;
	}

	public void setReleaseOn(List<Class<? extends Throwable>> releaseOn) {
		this.releaseOn = (releaseOn != null) ? releaseOn : new ArrayList<>();
	}

	public @Nullable String getKeySecret() {
		return this.keySecret;
	}

	public void setKeySecret(@Nullable String keySecret) {
		this.keySecret = keySecret;
	}

	/**
	 * The storage keys of {@code idempotent.key-prefix}, {@code max-key-length} and {@code key-secret}.
	 * @throws IllegalStateException if the key secret is shorter than 32 bytes
	 */
	public IdempotencyKeys toKeys() {
		byte[] secret = (this.keySecret != null) ? this.keySecret.getBytes(StandardCharsets.UTF_8) : null;
		if (secret != null && secret.length < IdempotencyKeys.MIN_SECRET_BYTES) {
			throw new IllegalStateException("idempotent.key-secret has " + secret.length + " bytes; it needs at least "
					+ IdempotencyKeys.MIN_SECRET_BYTES + " (generate one with: openssl rand -base64 32)");
		}
		return new IdempotencyKeys(this.keyPrefix, this.maxKeyLength, secret);
	}

	public Encryption getEncryption() {
		return this.encryption;
	}

	public Store getStore() {
		return this.store;
	}

	public Redis getRedis() {
		return this.redis;
	}

	public Token getToken() {
		return this.token;
	}

	public Memory getMemory() {
		return this.memory;
	}

	/** What an {@code @Idempotent} method gets where its annotation says nothing. */
	public IdempotencyDefaults toDefaults() {
		return new IdempotencyDefaults(this.header, this.lease, this.retention, this.keepOn, this.releaseOn,
				this.store.getTimeout());
	}

	// Stores keep time in whole milliseconds: 500us would be a lease of 0 ms, deleted at once.
	private static Duration requirePositive(@Nullable Duration duration, String property) {
		if (duration == null) {
			throw new IllegalArgumentException(property + " must be a positive duration, was null");
		}
		return StoreDurations.requirePositiveMillis(duration, property);
	}

	public static class Store {

		/**
		 * Store type. Defaults to 'redis' when the application has a RedisConnectionFactory, else
		 * 'in-memory', which protects a single instance only. 'jdbc' is used only when named.
		 */
		private @Nullable StoreType type;

		/**
		 * The longest one store call (claim, completion, renewal) may take before it counts as failed,
		 * whatever the client's own timeouts are. Every lease must be at least three times as long.
		 */
		private Duration timeout = Duration.ofSeconds(2);

		/**
		 * Whether each store round trip is its own observation, 'idempotency.store' (a timer by command
		 * and result, with a tracer a span), when the application has an ObservationRegistry. Off by
		 * default: each call is observed as 'idempotency.requests' either way, the store's failures and
		 * lapsed claims show there and in 'idempotency.incidents', and Redis commands are timed by
		 * Lettuce already.
		 */
		private boolean observations = false;

		public @Nullable StoreType getType() {
			return this.type;
		}

		public void setType(@Nullable StoreType type) {
			this.type = type;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = requirePositive(timeout, "idempotent.store.timeout");
		}

		public boolean isObservations() {
			return this.observations;
		}

		public void setObservations(boolean observations) {
			this.observations = observations;
		}

	}

	/** Encryption of stored outcomes at rest ({@code idempotent.encryption.*}). */
	public static class Encryption {

		/**
		 * Whether outcomes are stored encrypted (AES-256-GCM), so that whoever reads the store sees no
		 * response body nor kept failure.
		 */
		private boolean enabled;

		/**
		 * Encryption keys by id, each 32 random bytes in Base64 ('openssl rand -base64 32'). Outcomes are
		 * read with the key whose id they name: keep a retired key listed until the records it wrote have
		 * expired (idempotent.retention).
		 */
		private Map<String, String> keys = new LinkedHashMap<>();

		/**
		 * Id of the key new outcomes are encrypted with; one of the keys.
		 */
		private @Nullable String activeKey;

		/**
		 * Whether outcomes stored in clear (before encryption was switched on) are still replayed. Set it
		 * to false once the retention has passed since, so that an outcome planted in clear is refused.
		 */
		private boolean acceptPlaintext = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Map<String, String> getKeys() {
			return this.keys;
		}

		public void setKeys(Map<String, String> keys) {
			this.keys = keys;
		}

		public @Nullable String getActiveKey() {
			return this.activeKey;
		}

		public void setActiveKey(@Nullable String activeKey) {
			this.activeKey = activeKey;
		}

		public boolean isAcceptPlaintext() {
			return this.acceptPlaintext;
		}

		public void setAcceptPlaintext(boolean acceptPlaintext) {
			this.acceptPlaintext = acceptPlaintext;
		}

		/**
		 * The encryption these properties describe.
		 * @throws IllegalStateException naming what is wrong: no active key, no keys, a key that is not
		 * Base64 or not 32 bytes, an active key that is not among them
		 */
		public AesGcmOutcomeEncryption toEncryption() {
			if (this.activeKey == null || this.activeKey.isBlank()) {
				throw new IllegalStateException("idempotent.encryption.enabled is true but idempotent.encryption."
						+ "active-key is not set: name the id of the key that encrypts new outcomes");
			}
			try {
				return AesGcmOutcomeEncryption.ofBase64(this.keys, this.activeKey.strip(), this.acceptPlaintext);
			}
			catch (IllegalArgumentException ex) {
				throw new IllegalStateException("idempotent.encryption: " + ex.getMessage(), ex);
			}
		}

	}

	/** The supported stores. */
	public enum StoreType {

		/** Redis (standalone, Sentinel or Cluster) through the application's RedisConnectionFactory. */
		REDIS,

		/** This JVM's memory: tests and single-instance applications only. */
		IN_MEMORY,

		/** A table in the application's DataSource, written in the caller's transaction when there is one. */
		JDBC

	}

	/** One-time tokens ({@code idempotent.token.*}). */
	public static class Token {

		/**
		 * How long an issued one-time token stays live unless a call consumes it; also how long it is
		 * live again after the call that consumed it failed and released its claim.
		 */
		private Duration ttl = Duration.ofMinutes(10);

		private final Endpoint endpoint = new Endpoint();

		public Duration getTtl() {
			return this.ttl;
		}

		public void setTtl(Duration ttl) {
			this.ttl = requirePositive(ttl, "idempotent.token.ttl");
		}

		public Endpoint getEndpoint() {
			return this.endpoint;
		}

	}

	/** The HTTP endpoint that issues one-time tokens ({@code idempotent.token.endpoint.*}). */
	public static class Endpoint {

		/**
		 * Whether POST on the path issues one-time tokens to the caller, for an operation named by the
		 * 'operation' parameter.
		 */
		private boolean enabled;

		/**
		 * Path of the token endpoint.
		 */
		private String path = "/idempotency-tokens";

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			if (path == null || !path.startsWith("/")) {
				throw new IllegalArgumentException("idempotent.token.endpoint.path must start with '/', was " + path);
			}
			this.path = path;
		}

	}

	/**
	 * The in-memory store ({@code idempotent.memory.*}). The defaults are
	 * {@link dev.idempotent.core.store.InMemoryIdempotencyStore}'s own, written out for the
	 * configuration metadata.
	 */
	public static class Memory {

		/**
		 * Most records the in-memory store holds: running claims, completed records and live one-time
		 * tokens. When it is full of live records, a call that needs a new one is refused with 503
		 * (storage-unavailable) and does not run; expired records never count.
		 */
		private int maxRecords = 100_000;

		/**
		 * How often expired records are removed from the in-memory store, on a background thread.
		 */
		private Duration sweepInterval = Duration.ofMinutes(1);

		public int getMaxRecords() {
			return this.maxRecords;
		}

		public void setMaxRecords(int maxRecords) {
			if (maxRecords < 1) {
				throw new IllegalArgumentException(
						"idempotent.memory.max-records must be at least 1, was " + maxRecords);
			}
			this.maxRecords = maxRecords;
		}

		public Duration getSweepInterval() {
			return this.sweepInterval;
		}

		public void setSweepInterval(Duration sweepInterval) {
			if (sweepInterval == null || sweepInterval.toMillis() < 1) {
				throw new IllegalArgumentException(
						"idempotent.memory.sweep-interval must be at least 1ms, was " + sweepInterval);
			}
			this.sweepInterval = sweepInterval;
		}

	}

	/** Durability of the Redis store ({@code idempotent.redis.*}). */
	public static class Redis {

		/**
		 * How many replicas must acknowledge a claim and a completion (Redis WAIT). A claim not
		 * acknowledged in time is released and fails with 503. 0 does not wait: replication is
		 * asynchronous and a failover can lose an acknowledged claim.
		 */
		private int minReplicasAcked = 0;

		/**
		 * How long a claim or completion waits for the replicas' acknowledgements.
		 */
		private Duration replicaAckTimeout = Duration.ofSeconds(1);

		/**
		 * Whether to start on a Redis whose maxmemory-policy may evict records (anything but
		 * noeviction): an evicted record lets a retry of its key run again. Off by default, so such a
		 * Redis fails start-up; on, it is logged at WARN once and shown in health.
		 */
		private boolean acceptEviction = false;

		private final NearCache nearCache = new NearCache();

		public int getMinReplicasAcked() {
			return this.minReplicasAcked;
		}

		public void setMinReplicasAcked(int minReplicasAcked) {
			if (minReplicasAcked < 0) {
				throw new IllegalArgumentException(
						"idempotent.redis.min-replicas-acked must not be negative, was " + minReplicasAcked);
			}
			this.minReplicasAcked = minReplicasAcked;
		}

		public Duration getReplicaAckTimeout() {
			return this.replicaAckTimeout;
		}

		public void setReplicaAckTimeout(Duration replicaAckTimeout) {
			this.replicaAckTimeout = requirePositive(replicaAckTimeout, "idempotent.redis.replica-ack-timeout");
		}

		public boolean isAcceptEviction() {
			return this.acceptEviction;
		}

		public void setAcceptEviction(boolean acceptEviction) {
			this.acceptEviction = acceptEviction;
		}

		public NearCache getNearCache() {
			return this.nearCache;
		}

	}

	/**
	 * The near-cache of completed records ({@code idempotent.redis.near-cache.*}), invalidated by
	 * Redis's client-side caching ({@code CLIENT TRACKING}).
	 */
	public static class NearCache {

		/**
		 * Whether duplicates of a completed call are answered from a near-cache in the application,
		 * with no round trip, invalidated by Redis (CLIENT TRACKING on a connection of its own).
		 * Lettuce on standalone Redis or Sentinel only: on a Cluster, start-up fails.
		 */
		private boolean enabled = false;

		/**
		 * The most completed records the near-cache holds; the least recently used goes first.
		 */
		private int maxEntries = 10_000;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public int getMaxEntries() {
			return this.maxEntries;
		}

		public void setMaxEntries(int maxEntries) {
			if (maxEntries < 1) {
				throw new IllegalArgumentException(
						"idempotent.redis.near-cache.max-entries must be at least 1, was " + maxEntries);
			}
			this.maxEntries = maxEntries;
		}

	}

}
