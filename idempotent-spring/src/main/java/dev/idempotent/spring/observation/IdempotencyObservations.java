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
package dev.idempotent.spring.observation;

import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import dev.idempotent.core.CallOutcome;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyEngine;
import dev.idempotent.core.IdempotencyListener;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Observes idempotent calls: one {@value DefaultIdempotencyObservationConvention#NAME} observation per
 * call, from before its key is read until it is answered, current while it runs, so spans of the
 * method and of the store are its children.
 * <p>
 * The engine reports each call's outcome to this {@link IdempotencyListener}, which writes it into the
 * observation current on the calling thread. A refusal before the engine runs (a key that cannot be
 * read) is classified from its exception. With {@link ObservationRegistry#NOOP} nothing is recorded.
 */
public class IdempotencyObservations implements IdempotencyListener {

	/**
	 * The observation of what went wrong with a call after it was answered, tagged {@code operation}
	 * and {@code incident} ({@code lease_lost}, {@code completion_failed}).
	 */
	public static final String INCIDENTS = "idempotency.incidents";

	private static final IdempotencyObservationConvention DEFAULT_CONVENTION =
			new DefaultIdempotencyObservationConvention();

	private final ObservationRegistry registry;

	private final @Nullable IdempotencyObservationConvention convention;

	/**
	 * @param registry where observations go
	 * @param convention names and tags them, or {@code null} for the default
	 */
	public IdempotencyObservations(ObservationRegistry registry,
			@Nullable IdempotencyObservationConvention convention) {
		this.registry = Objects.requireNonNull(registry, "registry");
		this.convention = convention;
	}

	/**
	 * Runs one idempotent call of the operation under its observation: key resolution and
	 * {@link IdempotencyEngine#execute} go inside.
	 */
	public <T> @Nullable T observe(String operation, IdempotencyEngine.Invocation<T> call) throws Throwable {
		return observe(operation, call, false);
	}

	/**
	 * Runs one idempotent call whose answer is a future under its observation, which ends when that
	 * future completes (with its failure, if it fails), not when the call hands it back: the
	 * observation of a {@code CompletableFuture}, {@code Mono} or {@code Flux} method times its whole
	 * call, the completion of its claim included.
	 */
	public <T> @Nullable T observeUntilDone(String operation, IdempotencyEngine.Invocation<T> call) throws Throwable {
		return observe(operation, call, true);
	}

	private <T> @Nullable T observe(String operation, IdempotencyEngine.Invocation<T> call, boolean untilDone)
			throws Throwable {
		if (this.registry.isNoop()) {
			// No handler would see it: the call alone, without a context made for nobody.
			return call.invoke();
		}
		IdempotencyObservationContext context = new IdempotencyObservationContext(operation);
		Observation observation = Observation
			.createNotStarted(this.convention, DEFAULT_CONVENTION, () -> context, this.registry)
			.start();
		T result;
		try (Observation.Scope scope = observation.openScope()) {
			result = call.invoke();
		}
		catch (Throwable ex) {
			if (context.getOutcome() == null) {
				// Refused before the engine answered: a key the resolver could not read, say.
				context.setOutcome(CallOutcome.of(ex));
			}
			observation.error(ex);
			observation.stop();
			throw ex;
		}
		if (untilDone && result instanceof CompletionStage<?> answer) {
			answer.whenComplete((value, failure) -> {
				if (failure != null) {
					observation.error((failure instanceof CompletionException && failure.getCause() != null)
							? failure.getCause() : failure);
				}
				observation.stop();
			});
		}
		else {
			observation.stop();
		}
		return result;
	}

	/**
	 * Sets the outcome of the idempotent call observed on this thread, replacing the engine's: a message
	 * consumer that acknowledges a completed duplicate without running its listener records
	 * {@link CallOutcome#SKIPPED}. Does nothing outside {@link #observe}.
	 */
	public void recordOutcome(CallOutcome outcome) {
		IdempotencyObservationContext context = currentContext();
		if (context != null) {
			context.setOutcome(outcome);
		}
	}

	@Override
	public void onOutcome(IdempotencyCall call, CallOutcome outcome) {
		IdempotencyObservationContext context = currentContext();
		if (context != null && context.getOperation().equals(call.operation())) {
			context.setKey(call.key());
			context.setOutcome(outcome);
		}
	}

	/** Counts a call that lost its claim while it ran: {@value #INCIDENTS}{@code {incident=lease_lost}}. */
	@Override
	public void onLeaseLost(IdempotencyCall call) {
		incident(call, "lease_lost");
	}

	/**
	 * Counts a call whose claim could not be completed after it was answered (after its transaction
	 * ended, or by retries in the background):
	 * {@value #INCIDENTS}{@code {incident=completion_failed}}.
	 */
	@Override
	public void onCompletionFailed(IdempotencyCall call) {
		incident(call, "completion_failed");
	}

	// Told after the call's own observation ended: an observation of its own, tagged with what happened.
	private void incident(IdempotencyCall call, String incident) {
		Observation.createNotStarted(INCIDENTS, this.registry)
			.lowCardinalityKeyValue("operation", call.operation())
			.lowCardinalityKeyValue("incident", incident)
			.start()
			.stop();
	}

	private @Nullable IdempotencyObservationContext currentContext() {
		if (this.registry.isNoop()) {
			return null;
		}
		Observation current = this.registry.getCurrentObservation();
		return (current != null && current.getContext() instanceof IdempotencyObservationContext context) ? context
				: null;
	}

}
