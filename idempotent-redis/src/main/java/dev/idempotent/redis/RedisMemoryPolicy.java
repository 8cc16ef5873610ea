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

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/**
 * What Redis does when it runs out of memory, read from {@code INFO} (which works where
 * {@code CONFIG} is disabled, as on most managed services).
 * <p>
 * Only {@code noeviction} keeps idempotency records safe: every record has a TTL, so the
 * {@code volatile-*} policies evict them as readily as the {@code allkeys-*} ones, and a retry of an
 * evicted key runs the call again. On Redis Cluster every master is read, and the policy is the
 * first one that evicts, if any does.
 *
 * @param policy {@code maxmemory-policy}, such as {@code noeviction} or {@code allkeys-lru}
 * @param maxMemoryBytes {@code maxmemory}; 0 when Redis has no limit
 * @param evictedKeys how many keys Redis has evicted since it started ({@code evicted_keys})
 */
public record RedisMemoryPolicy(String policy, long maxMemoryBytes, long evictedKeys) {

	/** The one policy under which Redis never drops a record to make room. */
	public static final String NO_EVICTION = "noeviction";

	/** Reads the policy of the Redis behind the connection factory. */
	public static RedisMemoryPolicy read(RedisConnectionFactory connectionFactory) {
		try (RedisConnection connection = connectionFactory.getConnection()) {
			Properties memory = connection.serverCommands().info("memory");
			Properties stats = connection.serverCommands().info("stats");
			Set<String> policies = new LinkedHashSet<>(values(memory, "maxmemory_policy"));
			String policy = policies.stream()
				.filter((value) -> !NO_EVICTION.equals(value))
				.findFirst()
				.orElse(policies.isEmpty() ? "unknown" : NO_EVICTION);
			long maxMemory = values(memory, "maxmemory").stream().mapToLong(Long::parseLong).max().orElse(0);
			long evicted = values(stats, "evicted_keys").stream().mapToLong(Long::parseLong).sum();
			return new RedisMemoryPolicy(policy, maxMemory, evicted);
		}
	}

	// A standalone server names a field once; a cluster once per node, as "host:port.field".
	private static List<String> values(Properties info, String field) {
		List<String> values = new ArrayList<>();
		if (info == null) {
			return values;
		}
		for (String name : info.stringPropertyNames()) {
			if (name.equals(field) || name.endsWith("." + field)) {
				values.add(info.getProperty(name).trim());
			}
		}
		return values;
	}

	/** Whether Redis may drop records to make room. */
	public boolean evicts() {
		return !NO_EVICTION.equals(this.policy);
	}

}
