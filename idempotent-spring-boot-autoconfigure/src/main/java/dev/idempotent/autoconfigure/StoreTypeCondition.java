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

import dev.idempotent.autoconfigure.IdempotencyProperties.StoreType;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Matches when {@code idempotent.store.type} names this condition's store, or names none (then the
 * store configurations are tried in order). Binds the enum, so {@code in-memory} and
 * {@code IN_MEMORY} both work.
 */
abstract class StoreTypeCondition extends SpringBootCondition {

	private final StoreType type;

	StoreTypeCondition(StoreType type) {
		this.type = type;
	}

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		StoreType configured = configuredType(context);
		if (configured == null) {
			return ConditionOutcome.match("idempotent.store.type is not set");
		}
		return (configured == this.type) ? ConditionOutcome.match("idempotent.store.type is " + configured)
				: ConditionOutcome.noMatch("idempotent.store.type is " + configured);
	}

	static @Nullable StoreType configuredType(ConditionContext context) {
		return Binder.get(context.getEnvironment()).bind("idempotent.store.type", StoreType.class).orElse(null);
	}

	static final class Redis extends StoreTypeCondition {

		Redis() {
			super(StoreType.REDIS);
		}

	}

	static final class InMemory extends StoreTypeCondition {

		InMemory() {
			super(StoreType.IN_MEMORY);
		}

	}

	/** Chosen only by name: a DataSource alone does not make the JDBC store, which needs its table. */
	static final class Jdbc extends StoreTypeCondition {

		Jdbc() {
			super(StoreType.JDBC);
		}

		@Override
		public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
			return (configuredType(context) != null) ? super.getMatchOutcome(context, metadata)
					: ConditionOutcome.noMatch("idempotent.store.type is not set; the jdbc store is chosen by name only");
		}

	}

}
