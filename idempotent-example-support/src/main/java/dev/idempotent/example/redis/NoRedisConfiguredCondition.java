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
