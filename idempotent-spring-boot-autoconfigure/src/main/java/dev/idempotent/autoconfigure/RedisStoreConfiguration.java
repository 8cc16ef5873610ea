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

import java.time.Clock;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;
import dev.idempotent.redis.RedisMemoryPolicy;
import dev.idempotent.redis.RedisNearCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.util.ClassUtils;

/** The Redis store, on the application's {@link RedisConnectionFactory}. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass(RedisConnectionFactory.class)
@ConditionalOnBean(RedisConnectionFactory.class)
@ConditionalOnMissingBean(IdempotencyStore.class)
@Conditional(StoreTypeCondition.Redis.class)
class RedisStoreConfiguration {

	private static final Logger logger = LoggerFactory.getLogger(RedisStoreConfiguration.class);

	@Bean
	RedisIdempotencyStore idempotencyStore(RedisConnectionFactory connectionFactory, ObjectProvider<Clock> clock,
			IdempotencyProperties properties, ObjectProvider<RedisNearCache> nearCache) {
		IdempotencyProperties.Redis redis = properties.getRedis();
		if (redis.getMinReplicasAcked() > 0 && isLettuceCluster(connectionFactory)) {
			throw new IllegalStateException("idempotent.redis.min-replicas-acked is not supported on Redis Cluster");
		}
		checkEviction(connectionFactory, redis.isAcceptEviction());
		return new RedisIdempotencyStore(connectionFactory, clock.getIfAvailable(Clock::systemUTC),
				redis.getMinReplicasAcked(), redis.getReplicaAckTimeout(), properties.getStore().getTimeout(),
				nearCache.getIfAvailable());
	}

	/**
	 * Builds the near-cache when {@code idempotent.redis.near-cache.enabled}; Spring closes it, and its
	 * connection, on shutdown.
	 */
	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty("idempotent.redis.near-cache.enabled")
	RedisNearCache idempotencyRedisNearCache(RedisConnectionFactory connectionFactory, ObjectProvider<Clock> clock,
			IdempotencyProperties properties) {
		if (!ClassUtils.isPresent("io.lettuce.core.RedisClient", RedisStoreConfiguration.class.getClassLoader())) {
			throw new IllegalStateException("idempotent.redis.near-cache.enabled needs Lettuce, Spring Boot's default "
					+ "Redis client");
		}
		return new RedisNearCache(connectionFactory, properties.getRedis().getNearCache().getMaxEntries(),
				clock.getIfAvailable(Clock::systemUTC));
	}

	/**
	 * Refuses to start on a Redis that may evict records, unless the application accepts it. A Redis
	 * that does not answer yet is no reason to fail start-up (requests fail closed until it does), so
	 * the check is then left to health.
	 */
	static void checkEviction(RedisConnectionFactory connectionFactory, boolean acceptEviction) {
		RedisMemoryPolicy policy;
		try {
			policy = RedisMemoryPolicy.read(connectionFactory);
		}
		catch (RuntimeException ex) {
			logger.warn("Could not read Redis's maxmemory-policy at start-up, so whether Redis may evict idempotency "
					+ "records is not checked; the idempotency health shows it once Redis answers: {}", ex.toString());
			return;
		}
		if (!policy.evicts()) {
			return;
		}
		if (!acceptEviction) {
			throw new IllegalStateException("Redis's maxmemory-policy is " + policy.policy() + ": Redis may evict "
					+ "idempotency records when it is short of memory (every record has a TTL, so volatile-* policies "
					+ "evict them too), and a retry of an evicted key runs the call again. Set maxmemory-policy "
					+ "noeviction on this Redis (a Redis of its own for idempotency records, say), or set "
					+ "idempotent.redis.accept-eviction=true to accept the risk");
		}
		logger.warn("Redis's maxmemory-policy is {} and idempotent.redis.accept-eviction=true: an evicted idempotency "
				+ "record lets a retry of its key run again ({} keys evicted so far)", policy.policy(),
				policy.evictedKeys());
	}

	private static boolean isLettuceCluster(RedisConnectionFactory connectionFactory) {
		return ClassUtils.isPresent("io.lettuce.core.RedisClient", RedisStoreConfiguration.class.getClassLoader())
				&& connectionFactory instanceof LettuceConnectionFactory lettuce && lettuce.isClusterAware();
	}

}
