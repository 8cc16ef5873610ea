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

import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;

/** The commands a Redis server ran, as {@code INFO commandstats} counts them, for tests that count them. */
final class CommandStats {

	private static final Pattern CALLS = Pattern.compile("calls=(\\d+)");

	private CommandStats() {
	}

	// Calls per command so far (cmdstat_set:calls=3,usec=...).
	static Map<String, Long> read(StringRedisTemplate redis) {
		Properties stats = redis.execute((RedisCallback<Properties>) (connection) -> connection.serverCommands()
			.info("commandstats"));
		Map<String, Long> calls = new TreeMap<>();
		stats.forEach((name, value) -> {
			Matcher matcher = CALLS.matcher(value.toString());
			if (matcher.find()) {
				calls.put(name.toString().substring("cmdstat_".length()), Long.parseLong(matcher.group(1)));
			}
		});
		return calls;
	}

	/**
	 * Whether the server takes {@code SET} with both {@code NX} and {@code GET} (Redis 7.0 or newer), so
	 * that the store's claim is that one command; on 6.2 it is the claim script. The tests' Redis may be
	 * either: the one given to them, or the 6.2 binary they start themselves.
	 */
	static boolean claimsPlainly(StringRedisTemplate redis) {
		Properties server = redis.execute((RedisCallback<Properties>) (connection) -> connection.serverCommands()
			.info("server"));
		String version = String.valueOf(server.getProperty("redis_version"));
		return Integer.parseInt(version.substring(0, version.indexOf('.'))) >= 7;
	}

	// The commands run between two readings, but for the INFO that made the first one.
	static Map<String, Long> spent(Map<String, Long> before, Map<String, Long> after) {
		Map<String, Long> spent = new TreeMap<>();
		after.forEach((command, calls) -> {
			long count = calls - before.getOrDefault(command, 0L) - (command.equals("info") ? 1 : 0);
			if (count > 0) {
				spent.put(command, count);
			}
		});
		return spent;
	}

}
