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
package dev.idempotent.spring.interceptor;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.idempotent.core.Outcome;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.codec.JsonOutcomeCodecFactory;
import dev.idempotent.spring.messaging.MessageListenerTransport;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.MethodCallTransport;
import dev.idempotent.spring.transport.ThreadBoundRequest;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.util.ReflectionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The operation source on Spring Framework alone: each method gets the first transport that supports
 * it, the plain method call last, and durations are read as Spring Boot reads them.
 */
class IdempotencyOperationSourceTests {

	private final MessageListenerTransport listeners = new MessageListenerTransport();

	private final MethodCallTransport methodCalls = new MethodCallTransport(ThreadBoundRequest.NONE);

	// Store calls of at most 100 ms allow leases down to 300 ms.
	private static final IdempotencyDefaults DEFAULTS = new IdempotencyDefaults(IdempotencyDefaults.DEFAULT_HEADER,
			Duration.ofSeconds(30), Duration.ofHours(24), List.of(), List.of(), Duration.ofMillis(100));

	private final IdempotencyOperationSource operations = new IdempotencyOperationSource(DEFAULTS,
			(text) -> text.replace("${lease}", "750ms"), new JsonOutcomeCodecFactory(JsonMapper.builder().build()),
			List.of(this.listeners, this.methodCalls));

	@Test
	void aLeaseShorterThanThreeStoreTimeoutsIsRefused() {
		IdempotencyOperationSource slowStore = new IdempotencyOperationSource(IdempotencyDefaults.STANDARD,
				(text) -> text.replace("${lease}", "750ms"), new JsonOutcomeCodecFactory(JsonMapper.builder().build()),
				List.of(this.methodCalls));
		Method tuned = ReflectionUtils.findMethod(Shipments.class, "tuned", String.class);
		assertThatIllegalStateException().isThrownBy(() -> slowStore.getOperation(tuned, Shipments.class))
			.withMessageContaining("Shipments.tuned")
			.withMessageContaining("the lease of PT0.75S is shorter than three times the store timeout of PT2S");
		Method plain = ReflectionUtils.findMethod(Shipments.class, "ship", String.class);
		assertThat(slowStore.getOperation(plain, Shipments.class)).as("30 s: long enough").isNotNull();
	}

	@Test
	void eachMethodGetsTheFirstTransportThatSupportsIt() {
		IdempotencyOperation listener = operation("onShipment");
		assertThat(listener.transport()).isSameAs(this.listeners);
		assertThat(listener.policy().awaitCompletion()).as("a redelivery waits out a dead consumer's lease")
			.isEqualTo(DEFAULTS.lease().plusSeconds(1));
		IdempotencyOperation plain = operation("ship");
		assertThat(plain.transport()).isSameAs(this.methodCalls);
		assertThat(plain.policy().awaitCompletion()).isZero();
	}

	@Test
	void theAnnotationOverridesTheDefaults() {
		IdempotencyOperation plain = operation("ship");
		assertThat(plain.header()).isEqualTo("Idempotency-Key");
		assertThat(plain.policy().lease()).isEqualTo(Duration.ofSeconds(30));
		IdempotencyOperation tuned = operation("tuned");
		assertThat(tuned.header()).isEqualTo("X-Request-Id");
		assertThat(tuned.policy().lease()).isEqualTo(Duration.ofMillis(750));
		assertThat(tuned.policy().retention()).isEqualTo(Duration.ofHours(2));
		assertThat(tuned.policy().awaitCompletion()).isEqualTo(Duration.ofSeconds(3));
	}

	@Test
	void durationsReadAsSpringBootReadsThem() {
		assertThat(operation("inMinutes").policy().lease()).isEqualTo(Duration.ofMinutes(5));
		assertThat(operation("inPlainMillis").policy().lease()).isEqualTo(Duration.ofMillis(1500));
		assertThat(operation("inDays").policy().retention()).isEqualTo(Duration.ofDays(7));
		assertThatIllegalStateException().isThrownBy(() -> operation("unknownUnit"))
			.withMessageContaining("Shipments.unknownUnit")
			.withMessageContaining("is not a duration");
		assertThatIllegalStateException().isThrownBy(() -> operation("negative"))
			.withMessageContaining("must be positive");
		// 500us would become a lease of 0 ms in the store, which deletes the claim at once.
		assertThatIllegalStateException().isThrownBy(() -> operation("belowAMillisecond"))
			.withMessageContaining("Shipments.belowAMillisecond")
			.withMessageContaining("whole number of milliseconds");
		assertThatIllegalStateException().isThrownBy(() -> operation("partOfAMillisecond"))
			.withMessageContaining("whole number of milliseconds");
	}

	@Test
	void aFutureOfAPlainMethodStoresItsValueReadBackWithItsGenericType() {
		IdempotencyOperation operation = operation("later");
		String stored = operation.codec().encode(Outcome.returned(List.of(new Parcel("p-1"))));
		assertThat(stored).doesNotContain("CompletableFuture");
		assertThat(operation.codec().decode(stored)).isEqualTo(Outcome.returned(List.of(new Parcel("p-1"))));
		assertThat(operation("staged").codec().decode(operation("staged").codec().encode(Outcome.returned("p-2"))))
			.isEqualTo(Outcome.returned("p-2"));
	}

	@Test
	void otherAsynchronousReturnTypesAndFuturesOfListenersAreRefused() {
		assertThatIllegalStateException().isThrownBy(() -> operation("onLaterShipment"))
			.withMessageContaining("Shipments.onLaterShipment")
			.withMessageContaining("CompletableFuture is supported on plain method calls only")
			.withMessageContaining("MessageListenerTransport");
		assertThatIllegalStateException().isThrownBy(() -> operation("ownFuture"))
			.withMessageContaining("Shipments.ownFuture")
			.withMessageContaining("asynchronous return type (" + OwnFuture.class.getName() + ")")
			.withMessageContaining("Mono<T>, Flux<T> and suspend functions; not yet: other Futures or Publishers");
		assertThatIllegalStateException().isThrownBy(() -> operation("onReactiveShipment"))
			.withMessageContaining("Shipments.onReactiveShipment")
			.withMessageContaining("Mono is supported on plain method calls and WebFlux handlers only")
			.withMessageContaining("MessageListenerTransport");
	}

	@Test
	void aFluxOfAPlainMethodStoresItsElementsAsAListReadBackWithTheirType() {
		IdempotencyOperation operation = operation("streamed");
		assertThat(operation.returns()).isEqualTo(IdempotencyOperation.Returns.FLUX);
		assertThat(operation("single").returns()).isEqualTo(IdempotencyOperation.Returns.MONO);
		assertThat(operation("later").returns()).isEqualTo(IdempotencyOperation.Returns.FUTURE);
		List<Parcel> parcels = List.of(new Parcel("p-1"), new Parcel("p-2"));
		String stored = operation.codec().encode(Outcome.returned(parcels));
		assertThat(stored).doesNotContain("Flux");
		assertThat(operation.codec().decode(stored)).isEqualTo(Outcome.returned(parcels));
		assertThat(operation("single").codec().decode(operation("single").codec().encode(Outcome.returned("p-3"))))
			.isEqualTo(Outcome.returned("p-3"));
	}

	private IdempotencyOperation operation(String name) {
		Method method = ReflectionUtils.findMethod(Shipments.class, name, String.class);
		IdempotencyOperation operation = this.operations.getOperation(method, Shipments.class);
		assertThat(operation).as("@Idempotent on " + name).isNotNull();
		return operation;
	}

	record Parcel(String id) {
	}

	/** A subclass of CompletableFuture: the caller would expect this type back, which cannot be given. */
	static class OwnFuture extends CompletableFuture<String> {

	}

	static class Shipments {

		@RabbitListener(queues = "shipments")
		@Idempotent(key = "#id")
		void onShipment(String id) {
		}

		@Idempotent(key = "#id")
		void ship(String id) {
		}

		@Idempotent(key = "#id")
		CompletableFuture<List<Parcel>> later(String id) {
			return CompletableFuture.completedFuture(List.of(new Parcel(id)));
		}

		@Idempotent(key = "#id")
		Flux<Parcel> streamed(String id) {
			return Flux.just(new Parcel(id));
		}

		@Idempotent(key = "#id")
		Mono<String> single(String id) {
			return Mono.just(id);
		}

		@RabbitListener(queues = "shipments")
		@Idempotent(key = "#id")
		Mono<Void> onReactiveShipment(String id) {
			return Mono.empty();
		}

		@Idempotent(key = "#id")
		CompletionStage<String> staged(String id) {
			return CompletableFuture.completedFuture(id);
		}

		@RabbitListener(queues = "shipments")
		@Idempotent(key = "#id")
		CompletableFuture<Void> onLaterShipment(String id) {
			return CompletableFuture.completedFuture(null);
		}

		@Idempotent(key = "#id")
		OwnFuture ownFuture(String id) {
			return new OwnFuture();
		}

		@Idempotent(header = "X-Request-Id", lease = "${lease}", retention = "PT2H", awaitCompletion = "3s")
		void tuned(String id) {
		}

		@Idempotent(key = "#id", lease = "5m")
		void inMinutes(String id) {
		}

		@Idempotent(key = "#id", lease = "1500")
		void inPlainMillis(String id) {
		}

		@Idempotent(key = "#id", retention = "7d")
		void inDays(String id) {
		}

		@Idempotent(key = "#id", lease = "5x")
		void unknownUnit(String id) {
		}

		@Idempotent(key = "#id", lease = "-1s")
		void negative(String id) {
		}

		@Idempotent(key = "#id", lease = "500us")
		void belowAMillisecond(String id) {
		}

		@Idempotent(key = "#id", retention = "PT1.0005S")
		void partOfAMillisecond(String id) {
		}

	}

}
