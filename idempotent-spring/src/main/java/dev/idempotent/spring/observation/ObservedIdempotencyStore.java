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

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.idempotent.core.store.ClaimResult;
import dev.idempotent.core.store.IdempotencyRecord;
import dev.idempotent.core.store.IdempotencyStore;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.jspecify.annotations.Nullable;

/**
 * A store whose every round trip is a {@value DefaultIdempotencyStoreObservationConvention#NAME}
 * observation, tagged with the command and its result: how long the store takes, how often a claim
 * is taken, how often a completion finds its claim lapsed, and how often the store fails.
 */
public class ObservedIdempotencyStore implements IdempotencyStore {

	private static final IdempotencyStoreObservationConvention DEFAULT_CONVENTION =
			new DefaultIdempotencyStoreObservationConvention();

	private final IdempotencyStore delegate;

	private final ObservationRegistry registry;

	private final @Nullable IdempotencyStoreObservationConvention convention;

	/**
	 * @param delegate the store that stores
	 * @param registry where observations go
	 * @param convention names and tags them, or {@code null} for the default
	 */
	public ObservedIdempotencyStore(IdempotencyStore delegate, ObservationRegistry registry,
			@Nullable IdempotencyStoreObservationConvention convention) {
		this.delegate = Objects.requireNonNull(delegate, "delegate");
		this.registry = Objects.requireNonNull(registry, "registry");
		this.convention = convention;
	}

	/** The store observed. */
	public IdempotencyStore getDelegate() {
		return this.delegate;
	}

	@Override
	public ClaimResult tryClaim(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return observe("claim", () -> this.delegate.tryClaim(key, owner, fingerprint, lease),
				ObservedIdempotencyStore::claimed);
	}

	@Override
	public ClaimResult tryClaimToken(String key, String owner, @Nullable String fingerprint, Duration lease) {
		return observe("claim_token", () -> this.delegate.tryClaimToken(key, owner, fingerprint, lease),
				ObservedIdempotencyStore::claimed);
	}

	@Override
	public boolean claimsWithoutBlocking() {
		return this.delegate.claimsWithoutBlocking();
	}

	@Override
	public CompletionStage<ClaimResult> tryClaimAsync(String key, String owner, @Nullable String fingerprint,
			Duration lease) {
		return observeAsync("claim", () -> this.delegate.tryClaimAsync(key, owner, fingerprint, lease),
				ObservedIdempotencyStore::claimed);
	}

	@Override
	public CompletionStage<ClaimResult> tryClaimTokenAsync(String key, String owner, @Nullable String fingerprint,
			Duration lease) {
		return observeAsync("claim_token", () -> this.delegate.tryClaimTokenAsync(key, owner, fingerprint, lease),
				ObservedIdempotencyStore::claimed);
	}

	@Override
	public boolean issueToken(String key, Duration ttl) {
		return observe("issue_token", () -> this.delegate.issueToken(key, ttl), (issued) -> issued ? "ok" : "taken");
	}

	@Override
	public boolean releaseTokenClaim(String key, String owner, Duration ttl) {
		return observe("release_token_claim", () -> this.delegate.releaseTokenClaim(key, owner, ttl),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public boolean complete(String key, String owner, String outcome, Duration retention) {
		return observe("complete", () -> this.delegate.complete(key, owner, outcome, retention),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public boolean completeFailure(String key, String owner, String outcome, Duration retention) {
		return observe("complete_failure", () -> this.delegate.completeFailure(key, owner, outcome, retention),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public boolean joinsTransaction(String key, String owner) {
		return this.delegate.joinsTransaction(key, owner);
	}

	@Override
	public boolean release(String key, String owner) {
		return observe("release", () -> this.delegate.release(key, owner), ObservedIdempotencyStore::owned);
	}

	@Override
	public long fence(String key, String owner) {
		return observe("fence", () -> this.delegate.fence(key, owner),
				(fence) -> owned(fence != ClaimResult.NO_FENCE));
	}

	@Override
	public boolean extend(String key, String owner, Duration lease) {
		return observe("extend", () -> this.delegate.extend(key, owner, lease), ObservedIdempotencyStore::owned);
	}

	@Override
	public boolean writesWithoutBlocking() {
		return this.delegate.writesWithoutBlocking();
	}

	@Override
	public CompletionStage<Boolean> completeAsync(String key, String owner, String outcome, Duration retention) {
		return observeAsync("complete", () -> this.delegate.completeAsync(key, owner, outcome, retention),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public CompletionStage<Boolean> completeFailureAsync(String key, String owner, String outcome,
			Duration retention) {
		return observeAsync("complete_failure",
				() -> this.delegate.completeFailureAsync(key, owner, outcome, retention),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public CompletionStage<Boolean> releaseAsync(String key, String owner) {
		return observeAsync("release", () -> this.delegate.releaseAsync(key, owner), ObservedIdempotencyStore::owned);
	}

	@Override
	public CompletionStage<Boolean> releaseTokenClaimAsync(String key, String owner, Duration ttl) {
		return observeAsync("release_token_claim", () -> this.delegate.releaseTokenClaimAsync(key, owner, ttl),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public CompletionStage<Boolean> extendAsync(String key, String owner, Duration lease) {
		return observeAsync("extend", () -> this.delegate.extendAsync(key, owner, lease),
				ObservedIdempotencyStore::owned);
	}

	@Override
	public boolean delete(String key) {
		return observe("delete", () -> this.delegate.delete(key), (deleted) -> deleted ? "found" : "absent");
	}

	@Override
	public Optional<IdempotencyRecord> find(String key) {
		return observe("find", () -> this.delegate.find(key), (found) -> found.isPresent() ? "found" : "absent");
	}

	private static String claimed(ClaimResult claim) {
		if (claim.isAcquired()) {
			return "acquired";
		}
		return claim.isNoLiveToken() ? "no_token" : "taken";
	}

	private static String owned(boolean owned) {
		return owned ? "ok" : "not_owner";
	}

	// The observation of a round trip that answers later: it ends with the answer.
	private <R> CompletionStage<R> observeAsync(String command, Supplier<CompletionStage<R>> action,
			Function<R, String> result) {
		IdempotencyStoreObservationContext context = new IdempotencyStoreObservationContext(command);
		Observation observation = Observation
			.createNotStarted(this.convention, DEFAULT_CONVENTION, () -> context, this.registry)
			.start();
		CompletionStage<R> answer;
		try (Observation.Scope scope = observation.openScope()) {
			answer = action.get();
		}
		catch (RuntimeException ex) {
			context.setResult("error");
			observation.error(ex);
			observation.stop();
			throw ex;
		}
		return answer.whenComplete((value, failure) -> {
			if (failure != null) {
				context.setResult("error");
				observation.error((failure instanceof CompletionException && failure.getCause() != null)
						? failure.getCause() : failure);
			}
			else {
				context.setResult(result.apply(value));
			}
			observation.stop();
		});
	}

	private <R> R observe(String command, Supplier<R> action, Function<R, String> result) {
		IdempotencyStoreObservationContext context = new IdempotencyStoreObservationContext(command);
		Observation observation = Observation
			.createNotStarted(this.convention, DEFAULT_CONVENTION, () -> context, this.registry)
			.start();
		try (Observation.Scope scope = observation.openScope()) {
			R value = action.get();
			context.setResult(result.apply(value));
			return value;
		}
		catch (RuntimeException ex) {
			context.setResult("error");
			observation.error(ex);
			throw ex;
		}
		finally {
			observation.stop();
		}
	}

}
