package dev.idempotent.example.redis;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Matches when no Redis server is configured through {@code spring.data.redis.*}. */
class NoRedisConfiguredCondition extends SpringBootCondition {

	static final String[] PROPERTIES = { "spring.data.redis.host", "spring.data.redis.port", "spring.data.redis.url",
			"spring.data.redis.sentinel.master", "spring.data.redis.cluster.nodes" };

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		Environment environment = context.getEnvironment();
		for (String property : PROPERTIES) {
			if (environment.containsProperty(property)) {
				return ConditionOutcome.noMatch(property + " is set");
			}
		}
		return ConditionOutcome.match("no spring.data.redis server property is set");
	}

}
