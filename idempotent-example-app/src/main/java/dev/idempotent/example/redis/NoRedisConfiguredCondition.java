package dev.idempotent.example.redis;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when no Redis server is configured through {@code spring.data.redis.*} and the store is
 * Redis (the default): with {@code idempotent.store.type=jdbc} or {@code in-memory}, no Redis is
 * started.
 */
class NoRedisConfiguredCondition extends SpringBootCondition {

	static final String[] PROPERTIES = { "spring.data.redis.host", "spring.data.redis.port", "spring.data.redis.url",
			"spring.data.redis.sentinel.master", "spring.data.redis.cluster.nodes" };

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		Environment environment = context.getEnvironment();
		String storeType = environment.getProperty("idempotent.store.type");
		if (storeType != null && !storeType.equalsIgnoreCase("redis")) {
			return ConditionOutcome.noMatch("idempotent.store.type is " + storeType);
		}
		for (String property : PROPERTIES) {
			if (environment.containsProperty(property)) {
				return ConditionOutcome.noMatch(property + " is set");
			}
		}
		return ConditionOutcome.match("no spring.data.redis server property is set");
	}

}
