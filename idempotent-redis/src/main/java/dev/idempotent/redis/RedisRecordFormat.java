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
package dev.idempotent.redis;

import java.time.Instant;
import java.util.List;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.RecordState;
import org.jspecify.annotations.Nullable;

/**
 * A record as one Redis string, written and read by {@link RedisScripts}: a format version, a state
 * letter, then fields, all separated by {@code |}.
 * <ul>
 * <li>In progress: {@code 1|I|<owner>|<lease ms>|<fingerprint>|<created epoch ms>}, living for the
 * lease.</li>
 * <li>Completed: {@code 1|C|<owner>|<fingerprint>|<created epoch ms>|<outcome>}, living for the
 * retention. The outcome is the last field and may hold anything, {@code |} included.</li>
 * <li>A live one-time token: {@code 1|T}, living for the token's time to live.</li>
 * </ul>
 * An absent fingerprint is an empty field. The owner and the fingerprint never hold {@code |}
 * (refused with an {@link IllegalArgumentException}), so the scripts check an owner by comparing a
 * prefix and find the lease with one search. An in-progress value whose time to live exceeds its own
 * lease was completed without its outcome (see {@link RedisIdempotencyStore}): renewals never extend
 * a claim past the lease its value holds. Replies holding the previous release's hash fields are read
 * too.
 */
final class RedisRecordFormat {

	static final char SEPARATOR = '|';

	static final String IN_PROGRESS = "1|I|";

	static final String COMPLETED = "1|C|";

	static final String TOKEN = "1|T";

	private RedisRecordFormat() {
	}

	/** The value of a new claim. */
	static String inProgress(String owner, @Nullable String fingerprint, long leaseMillis, long createdMillis) {
		checkOwner(owner);
		if (fingerprint != null && fingerprint.indexOf(SEPARATOR) >= 0) {
			throw new IllegalArgumentException(
					"A fingerprint must not contain '" + SEPARATOR + "' for the Redis store, was '" + fingerprint
							+ "'");
		}
		return IN_PROGRESS + owner + SEPARATOR + leaseMillis + SEPARATOR + ((fingerprint != null) ? fingerprint : "")
				+ SEPARATOR + createdMillis;
	}

	/** Refuses an owner the scripts could confuse with another one's record. */
	static String checkOwner(String owner) {
		if (owner.isEmpty() || owner.indexOf(SEPARATOR) >= 0) {
			throw new IllegalArgumentException(
					"An owner must be non-empty without '" + SEPARATOR + "' for the Redis store, was '" + owner + "'");
		}
		return owner;
	}

	/**
	 * A claim script's reply as a claim result.
	 * @param now the instant to count the record's time to live from
	 */
	static ClaimResult claimResult(String key, @Nullable List<?> reply, Instant now) {
		if (reply == null || reply.isEmpty()) {
			throw new IllegalStateException("Redis gave no answer to the claim of '" + key + "'");
		}
		if (reply.size() == 1) {
			return ClaimResult.noLiveToken();
		}
		if (reply.size() == 3 && "CLAIMED".equals(reply.get(0))) {
			return ClaimResult.acquired(micros(reply.get(1), reply.get(2)));
		}
		IdempotencyRecord record = record(key, reply, now);
		if (record == null) {
			throw new IllegalStateException(
					"Redis key '" + key + "' holds a one-time token, not an idempotency record");
		}
		return ClaimResult.existing(record);
	}

	/**
	 * The fence script's reply as a fence.
	 * @return the fence, or {@link ClaimResult#NO_FENCE} when the owner did not hold the key
	 */
	static long fence(String key, @Nullable List<?> reply) {
		if (reply == null) {
			throw new IllegalStateException("Redis gave no answer to the fence of '" + key + "'");
		}
		return reply.isEmpty() ? ClaimResult.NO_FENCE : micros(reply.get(0), reply.get(1));
	}

	// Redis's clock (TIME) in microseconds: one clock for every instance, so a later claim gets more.
	private static long micros(Object seconds, Object micros) {
		return Long.parseLong(String.valueOf(seconds)) * 1_000_000 + Long.parseLong(String.valueOf(micros));
	}

	/**
	 * A reading script's reply as a record: {@code {value, pttl}}, or the previous release's hash
	 * fields and pttl.
	 * @return the record, or {@code null} for a live token
	 */
	static @Nullable IdempotencyRecord record(String key, List<?> reply, Instant now) {
		if (reply.size() == 6) {
			return legacyRecord(key, reply, now);
		}
		String value = String.valueOf(reply.get(0));
		long ttl = ((Number) reply.get(1)).longValue();
		Instant expiresAt = (ttl >= 0) ? now.plusMillis(ttl) : null;
		if (value.startsWith(IN_PROGRESS)) {
			String[] fields = fields(key, value, IN_PROGRESS.length(), 4);
			String owner = fields[0];
			long lease = Long.parseLong(fields[1]);
			// Living longer than its own lease: completed without its outcome, when Redis was out of memory.
			RecordState state = (ttl > lease) ? RecordState.COMPLETED : RecordState.IN_PROGRESS;
			return new IdempotencyRecord(key, state, owner, fingerprint(fields[2]), created(fields[3]), expiresAt,
					null);
		}
		if (value.startsWith(COMPLETED)) {
			String[] fields = fields(key, value, COMPLETED.length(), 4);
			return new IdempotencyRecord(key, RecordState.COMPLETED, fields[0], fingerprint(fields[1]),
					created(fields[2]), expiresAt, fields[3]);
		}
		if (value.equals(TOKEN)) {
			return null;
		}
		throw notARecord(key);
	}

	// The previous release's hash: state, owner, fingerprint, created, outcome, pttl.
	private static IdempotencyRecord legacyRecord(String key, List<?> fields, Instant now) {
		Object state = fields.get(0);
		boolean inProgress = RecordState.IN_PROGRESS.name().equals(state);
		if (!inProgress && !RecordState.COMPLETED.name().equals(state)) {
			throw notARecord(key);
		}
		Object owner = fields.get(1);
		Object fingerprint = fields.get(2);
		Object created = fields.get(3);
		long ttl = ((Number) fields.get(5)).longValue();
		// In progress without an owner: completed without its outcome, when Redis was out of memory.
		RecordState recordState = (inProgress && owner != null) ? RecordState.IN_PROGRESS : RecordState.COMPLETED;
		return new IdempotencyRecord(key, recordState, (owner != null) ? owner.toString() : "",
				fingerprint((fingerprint != null) ? fingerprint.toString() : ""),
				(created != null) ? created(created.toString()) : now, (ttl >= 0) ? now.plusMillis(ttl) : null,
				(String) fields.get(4));
	}

	// The fields after the prefix; the last one takes the rest of the value.
	private static String[] fields(String key, String value, int from, int count) {
		String[] fields = new String[count];
		int start = from;
		for (int i = 0; i < count - 1; i++) {
			int end = value.indexOf(SEPARATOR, start);
			if (end < 0) {
				throw notARecord(key);
			}
			fields[i] = value.substring(start, end);
			start = end + 1;
		}
		fields[count - 1] = value.substring(start);
		return fields;
	}

	private static @Nullable String fingerprint(String field) {
		return field.isEmpty() ? null : field;
	}

	private static Instant created(String field) {
		return Instant.ofEpochMilli(Long.parseLong(field));
	}

	private static IllegalStateException notARecord(String key) {
		return new IllegalStateException("Redis key '" + key + "' does not hold an idempotency record");
	}

}
