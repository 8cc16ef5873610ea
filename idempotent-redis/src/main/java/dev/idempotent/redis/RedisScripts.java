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

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.springframework.data.redis.core.script.RedisScript;

/**
 * The Lua scripts of the Redis store, one per primitive, each touching the one key it is given in
 * {@code KEYS}: the blocking store and any other client of the same records run exactly these, so
 * that they agree on the record. The record's format is {@link RedisRecordFormat}'s.
 * <p>
 * The store claims with a plain {@code SET NX PX GET} where it can; the claim script answers where
 * that command cannot: a holder in progress, the previous release's hash, a Redis that refused the
 * write, Redis 6.2. The completion runs {@code GET} and {@code SET PX}; the other writes of an owner
 * also read its claim's {@code PTTL}. Only a key that is no string is read as the previous release's
 * hash.
 */
final class RedisScripts {

	// The owner's live claim: its value, the length of its prefix up to and including the separator after
	// the owner, the position of the separator after its lease, and its lease; nothing when the owner does
	// not hold the key. An in-progress record that lives longer than its own lease was completed without
	// its outcome (a PEXPIRE, when Redis was out of memory), and nobody holds it. A key that is no string
	// is a hash of the previous release (HGET raises WRONGTYPE for anything else), held by an owner of
	// that release, never by one of this release.
	private static final String HELD = """
			local function held(key, owner)
				local v = redis.pcall('GET', key)
				if type(v) ~= 'string' then
					if v then
						redis.call('HGET', key, 'state')
					end
					return nil
				end
				local p = '1|I|' .. owner .. '|'
				if string.sub(v, 1, #p) ~= p then
					return nil
				end
				local i = string.find(v, '|', #p + 1, true)
				local lease = tonumber(string.sub(v, #p + 1, i - 1))
				if redis.call('PTTL', key) > lease then
					return nil
				end
				return v, #p, i, lease
			end
			""";

	// The previous release's hash record (HMGET raises WRONGTYPE for a key that is neither string nor hash).
	private static final String LEGACY = """
			local function legacy(key)
				local r = redis.call('HMGET', key, 'state', 'owner', 'fingerprint', 'created', 'outcome')
				return {r[1], r[2], r[3], r[4], r[5], redis.call('PTTL', key)}
			end
			""";

	/**
	 * Claims a free key. {@code ARGV}: the in-progress value, the lease in milliseconds. Returns
	 * {@code {'CLAIMED', seconds, microseconds}} of Redis's clock when claimed (the fence), else the
	 * holder: {@code {value, pttl}}, or the previous release's hash fields and pttl.
	 */
	@SuppressWarnings("rawtypes")
	static final RedisScript<List> CLAIM = RedisScript.of(LEGACY + """
			local set = redis.pcall('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
			if set and set.ok then
				local t = redis.call('TIME')
				return {'CLAIMED', t[1], t[2]}
			end
			-- Held, or the write was refused (out of memory): a holder is still read and answered.
			local v = redis.pcall('GET', KEYS[1])
			if type(v) == 'string' then
				return {v, redis.call('PTTL', KEYS[1])}
			end
			if not v then
				if set then
					return set
				end
				return redis.error_reply('ERR idempotency record vanished during its claim')
			end
			return legacy(KEYS[1])
			""", List.class);

	/**
	 * Consumes a live token and claims its key. {@code ARGV} as {@link #CLAIM}. Returns what
	 * {@code CLAIM} returns when the token was consumed, {@code {'NO_TOKEN'}} when the key holds
	 * nothing, else the holder.
	 */
	@SuppressWarnings("rawtypes")
	static final RedisScript<List> CLAIM_TOKEN = RedisScript.of(LEGACY + """
			local v = redis.pcall('GET', KEYS[1])
			if v == '1|T' then
				redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
				local t = redis.call('TIME')
				return {'CLAIMED', t[1], t[2]}
			end
			if type(v) == 'string' then
				return {v, redis.call('PTTL', KEYS[1])}
			end
			if not v then
				return {'NO_TOKEN'}
			end
			local r = legacy(KEYS[1])
			if r[1] == 'TOKEN' then
				-- The previous release's token: SET replaces the hash with this release's record.
				redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
				local t = redis.call('TIME')
				return {'CLAIMED', t[1], t[2]}
			end
			if not r[1] then
				return {'NO_TOKEN'}
			end
			return r
			""", List.class);

	/** Places a live token under a free key. {@code ARGV}: the time to live. Returns 1, or 0 when the key is taken. */
	static final RedisScript<Long> ISSUE_TOKEN = RedisScript.of("""
			if redis.call('SET', KEYS[1], '1|T', 'NX', 'PX', ARGV[1]) then
				return 1
			end
			return 0
			""", Long.class);

	/**
	 * Turns the owner's claim back into a live token. {@code ARGV}: the owner, the token's time to
	 * live. Returns 1, or 0 when the owner does not hold the key.
	 */
	static final RedisScript<Long> RELEASE_TOKEN = RedisScript.of(HELD + """
			if not held(KEYS[1], ARGV[1]) then
				return 0
			end
			redis.call('SET', KEYS[1], '1|T', 'PX', ARGV[2])
			return 1
			""", Long.class);

	/**
	 * Completes the owner's claim with its outcome. {@code ARGV}: the owner, the outcome, the
	 * retention. Returns 1, or 0 when the owner does not hold the key.
	 * <p>
	 * The one script on a new call's path, so it runs two commands, {@code GET} and {@code SET PX}, and
	 * no function of its own: its owner check is the other scripts' without the {@code PTTL}. The only
	 * record that check refuses and this one passes is a claim its own owner completed without its
	 * outcome (after {@link #COMPLETE_WITHOUT_OUTCOME}, whose answer the owner may never have received),
	 * and completing that with the outcome is true to the one call that ran: its duplicates were refused
	 * as completed, and are now answered with what it returned.
	 */
	static final RedisScript<Long> COMPLETE = RedisScript.of("""
			local v = redis.pcall('GET', KEYS[1])
			if type(v) ~= 'string' then
				-- The previous release's hash, never held by an owner of this one (HGET raises WRONGTYPE for
				-- a key of any other type).
				if v then
					redis.call('HGET', KEYS[1], 'state')
				end
				return 0
			end
			local p = '1|I|' .. ARGV[1] .. '|'
			if string.find(v, p, 1, true) ~= 1 then
				return 0
			end
			local i = string.find(v, '|', #p + 1, true)
			redis.call('SET', KEYS[1], '1|C|' .. ARGV[1] .. string.sub(v, i) .. '|' .. ARGV[2], 'PX', ARGV[3])
			return 1
			""", Long.class);

	/**
	 * Completes the owner's claim without its outcome, with nothing Redis refuses when out of memory:
	 * the record keeps its value and lives the retention plus its lease, longer than its lease, which
	 * marks it completed. {@code ARGV}: the owner, the retention. Returns 1, or 0 when the owner does
	 * not hold the key.
	 */
	static final RedisScript<Long> COMPLETE_WITHOUT_OUTCOME = RedisScript.of(HELD + """
			local v, n, i, lease = held(KEYS[1], ARGV[1])
			if not v then
				return 0
			end
			redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(ARGV[2]) + lease))
			return 1
			""", Long.class);

	/** Removes the owner's claim. {@code ARGV}: the owner. Returns 1, or 0 when the owner does not hold the key. */
	static final RedisScript<Long> RELEASE = RedisScript.of(HELD + """
			if not held(KEYS[1], ARGV[1]) then
				return 0
			end
			return redis.call('DEL', KEYS[1])
			""", Long.class);

	/**
	 * Renews the owner's lease. {@code ARGV}: the owner, the lease. A lease longer than the one the
	 * record holds is written into the record, so that a claim never lives longer than its own lease.
	 * Returns 1, or 0 when the owner does not hold the key.
	 */
	static final RedisScript<Long> EXTEND = RedisScript.of(HELD + """
			local v, n, i, lease = held(KEYS[1], ARGV[1])
			if not v then
				return 0
			end
			if tonumber(ARGV[2]) <= lease then
				return redis.call('PEXPIRE', KEYS[1], ARGV[2])
			end
			redis.call('SET', KEYS[1], string.sub(v, 1, n) .. ARGV[2] .. string.sub(v, i), 'PX', ARGV[2])
			return 1
			""", Long.class);

	/**
	 * Reads the fence of the owner's live claim: Redis's clock. {@code ARGV}: the owner. Returns
	 * {@code {seconds, microseconds}}, or nothing when the owner does not hold the key.
	 */
	@SuppressWarnings("rawtypes")
	static final RedisScript<List> FENCE = RedisScript.of(HELD + """
			if not held(KEYS[1], ARGV[1]) then
				return {}
			end
			local t = redis.call('TIME')
			return {t[1], t[2]}
			""", List.class);

	/**
	 * Reads a record. Returns {@code {value, pttl}}, the previous release's hash fields and pttl, or
	 * nothing when the key is free or holds the previous release's token.
	 */
	@SuppressWarnings("rawtypes")
	static final RedisScript<List> FIND = RedisScript.of(LEGACY + """
			local v = redis.pcall('GET', KEYS[1])
			if type(v) == 'string' then
				return {v, redis.call('PTTL', KEYS[1])}
			end
			if not v then
				return {}
			end
			local r = legacy(KEYS[1])
			if r[1] == 'TOKEN' then
				return {}
			end
			return r
			""", List.class);

	// Each script's SHA-1, computed once: a script computes its own behind a lock on every call, which a
	// claim made on an event loop must not wait for, nor tens of request threads queue on.
	private static final Map<RedisScript<?>, String> SHA1 = Stream
		.of(CLAIM, CLAIM_TOKEN, ISSUE_TOKEN, RELEASE_TOKEN, COMPLETE, COMPLETE_WITHOUT_OUTCOME, RELEASE, EXTEND, FENCE,
				FIND)
		.collect(Collectors.toUnmodifiableMap(Function.identity(), RedisScript::getSha1));

	private RedisScripts() {
	}

	/** The SHA-1 of a script, without taking the script's lock. */
	static String sha1(RedisScript<?> script) {
		String sha1 = SHA1.get(script);
		return (sha1 != null) ? sha1 : script.getSha1();
	}

}
