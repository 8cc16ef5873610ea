package dev.idempotent.autoconfigure;

import java.time.Clock;

import dev.idempotent.core.store.IdempotencyStore;
import dev.idempotent.redis.RedisIdempotencyStore;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
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

	@Bean
	RedisIdempotencyStore idempotencyStore(RedisConnectionFactory connectionFactory, ObjectProvider<Clock> clock,
			IdempotencyProperties properties) {
		IdempotencyProperties.Redis redis = properties.getRedis();
		if (redis.getMinReplicasAcked() > 0 && isLettuceCluster(connectionFactory)) {
			throw new IllegalStateException("idempotent.redis.min-replicas-acked is not supported on Redis Cluster");
		}
		return new RedisIdempotencyStore(connectionFactory, clock.getIfAvailable(Clock::systemUTC),
				redis.getMinReplicasAcked(), redis.getReplicaAckTimeout(), properties.getStore().getTimeout());
	}

	private static boolean isLettuceCluster(RedisConnectionFactory connectionFactory) {
		return ClassUtils.isPresent("io.lettuce.core.RedisClient", RedisStoreConfiguration.class.getClassLoader())
				&& connectionFactory instanceof LettuceConnectionFactory lettuce && lettuce.isClusterAware();
	}

}
