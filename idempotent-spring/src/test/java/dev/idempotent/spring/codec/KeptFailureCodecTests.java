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
package dev.idempotent.spring.codec;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.idempotent.core.ExceptionPolicy;
import dev.idempotent.core.Outcome;
import dev.idempotent.core.OutcomeCodec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.ResolvableType;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.server.ResponseStatusException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * A kept failure read back for a duplicate is the failure the first call threw: its class, its
 * message and its own fields, rebuilt without running a constructor that would format the message
 * again. Records of the earlier form (type and message only) stay readable.
 */
class KeptFailureCodecTests {

	private final JsonMapper mapper = JsonMapper.builder().build();

	private final JsonOutcomeCodecFactory codecs = new JsonOutcomeCodecFactory(this.mapper);

	@Test
	void ownFieldsComeBackAsTheyWereThrown() {
		RateLimited replayed = replay(new RateLimited("Too many orders", 429), RateLimited.class);
		assertThat(replayed.code).as("not the 400 its (String) constructor sets").isEqualTo(429);
		assertThat(replayed).hasMessage("Too many orders").hasNoCause();
	}

	@Test
	void aConstructorThatFormatsItsMessageDoesNotFormatItTwice() {
		OrderNotFound replayed = replay(new OrderNotFound("42"), OrderNotFound.class);
		assertThat(replayed).hasMessage("Order 42 not found");
		assertThat(replayed.orderId).isEqualTo("42");
	}

	@Test
	void responseStatusExceptionKeepsItsStatusReasonAndProblem() {
		ResponseStatusException thrown = new ResponseStatusException(HttpStatus.NOT_FOUND, "No order 42");
		ResponseStatusException replayed = replay(thrown, ResponseStatusException.class);
		assertThat(replayed.getStatusCode()).isEqualTo(HttpStatus.NOT_FOUND);
		assertThat(replayed.getReason()).isEqualTo("No order 42");
		assertThat(replayed).hasMessage(thrown.getMessage());
		assertThat(replayed.getBody()).isEqualTo(thrown.getBody());
		assertThat(replayed.getDetailMessageCode()).isEqualTo(thrown.getDetailMessageCode());
	}

	@Test
	void errorResponseExceptionKeepsItsProblemDetailAndHeaders() {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, "Slow down, order 42");
		problem.setType(URI.create("urn:orders:problem:rate-limited"));
		problem.setTitle("Rate limited");
		problem.setProperty("retryInSeconds", 30);
		problem.setProperty("limits", Map.of("perMinute", List.of(10, 20)));
		ErrorResponseException thrown = new ErrorResponseException(HttpStatus.TOO_MANY_REQUESTS, problem, null);
		thrown.getHeaders().add(HttpHeaders.RETRY_AFTER, "30");
		ErrorResponseException replayed = replay(thrown, ErrorResponseException.class);
		assertThat(replayed.getStatusCode()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
		assertThat(replayed.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isEqualTo("30");
		assertThat(replayed.getBody().getType()).isEqualTo(URI.create("urn:orders:problem:rate-limited"));
		assertThat(replayed.getBody().getTitle()).isEqualTo("Rate limited");
		assertThat(replayed.getBody().getDetail()).isEqualTo("Slow down, order 42");
		assertThat(replayed.getBody().getProperties()).isEqualTo(problem.getProperties());
		assertThat(this.mapper.writeValueAsString(replayed.getBody()))
			.isEqualTo(this.mapper.writeValueAsString(thrown.getBody()));
		assertThat(replayed).hasMessage(thrown.getMessage());
	}

	@Test
	void responseStatusAnnotatedExceptionKeepsItsFields() {
		SeatTaken replayed = replay(new SeatTaken("12A"), SeatTaken.class);
		assertThat(replayed).isExactlyInstanceOf(SeatTaken.class).hasMessage("Seat 12A is taken");
		assertThat(replayed.seat).isEqualTo("12A");
	}

	@Test
	void aSubclassOfTheKeptTypeComesBackAsItself() {
		OrderNotFound replayed = replay(new ArchivedOrderNotFound("7", 2019), BusinessFailure.class);
		assertThat(replayed).isExactlyInstanceOf(ArchivedOrderNotFound.class).hasMessage("Order 7 not found");
		assertThat(((ArchivedOrderNotFound) replayed).year).isEqualTo(2019);
		assertThat(replayed.orderId).isEqualTo("7");
	}

	@Test
	void transientFieldsAreNotKept() {
		RateLimited thrown = new RateLimited("Too many orders", 429);
		thrown.context = new Object();
		assertThat(replay(thrown, RateLimited.class).context).isNull();
	}

	@Test
	void aNewRecordStillNamesTheTypeAndMessageAnEarlierVersionReads() {
		String stored = codec(OrderNotFound.class).encode(Outcome.thrown(new OrderNotFound("42")));
		JsonNode failure = this.mapper.readTree(stored).get("failure");
		assertThat(failure.get("type").asString()).isEqualTo(OrderNotFound.class.getName());
		assertThat(failure.get("message").asString()).isEqualTo("Order 42 not found");
	}

	@Test
	void aRecordOfTheEarlierFormStaysReadable() {
		String stored = "{\"failure\":{\"type\":\"" + PlainFailure.class.getName()
				+ "\",\"message\":\"sku OUT is out of stock\"}}";
		Throwable replayed = ((Outcome.Thrown<Object>) codec(PlainFailure.class).decode(stored)).failure();
		assertThat(replayed).isExactlyInstanceOf(PlainFailure.class).hasMessage("sku OUT is out of stock");

		String withCode = "{\"failure\":{\"type\":\"" + RateLimited.class.getName()
				+ "\",\"message\":\"Too many orders\"}}";
		RateLimited rateLimited = (RateLimited) ((Outcome.Thrown<Object>) codec(RateLimited.class).decode(withCode))
			.failure();
		assertThat(rateLimited).hasMessage("Too many orders");
		assertThat(rateLimited.code).as("what the earlier version answered: the fields were not stored")
			.isEqualTo(400);
	}

	@Test
	void aStoredTypeTheMethodDoesNotKeepIsNeverLoadedNorBuilt() {
		String stored = "{\"failure\":{\"type\":\"" + Planted.class.getName()
				+ "\",\"message\":\"x\",\"fields\":{\"payload\":\"y\"}}}";
		assertThatIllegalStateException().isThrownBy(() -> codec(PlainFailure.class).decode(stored))
			.withMessageContaining("is not one the method keeps");
		assertThat(PLANTED_INITIALISED).as("the class was not initialised").isFalse();
	}

	@Test
	void aStoredFieldTheTypeNoLongerHasIsRefused() {
		String stored = "{\"failure\":{\"type\":\"" + OrderNotFound.class.getName()
				+ "\",\"message\":\"Order 42 not found\",\"fields\":{\"customer\":\"alice\"}}}";
		assertThatIllegalStateException().isThrownBy(() -> codec(OrderNotFound.class).decode(stored))
			.withMessageContaining("customer");
	}

	@Test
	void aFailureThatWouldReadBackDifferentlyIsNotKeptRatherThanReplayedWrong() {
		OutcomeCodec<Object> codec = codec(Coded.class);
		assertThatIllegalStateException().isThrownBy(() -> codec.encode(Outcome.thrown(new Coded(7, "refused"))))
			.withMessageContaining(Coded.class.getName())
			.withMessageContaining("message");
	}

	@Test
	void whatCanBeRebuilt() {
		assertThat(JsonOutcomeCodecFactory.canRebuild(OrderNotFound.class)).as("no message constructor").isTrue();
		assertThat(JsonOutcomeCodecFactory.canRebuild(ResponseStatusException.class)).isTrue();
		assertThat(JsonOutcomeCodecFactory.canRebuild(Inner.class)).as("holds its enclosing instance").isFalse();
	}

	@SuppressWarnings("unchecked")
	private <T extends Throwable> T replay(T failure, Class<? extends Throwable> kept) {
		OutcomeCodec<Object> codec = codec(kept);
		Outcome<Object> decoded = codec.decode(codec.encode(Outcome.thrown(failure)));
		Throwable replayed = ((Outcome.Thrown<Object>) decoded).failure();
		assertThat(replayed).isExactlyInstanceOf(failure.getClass()).isNotSameAs(failure);
		return (T) replayed;
	}

	private OutcomeCodec<Object> codec(Class<? extends Throwable> kept) {
		return this.codecs.forType(ResolvableType.forClass(String.class), new ExceptionPolicy(List.of(kept), List.of()),
				getClass().getClassLoader());
	}

	static final AtomicBoolean PLANTED_INITIALISED = new AtomicBoolean();

	/** A business failure with a status code of its own, 400 unless the thrower says otherwise. */
	static class RateLimited extends RuntimeException {

		final int code;

		transient Object context;

		RateLimited(String message) {
			this(message, 400);
		}

		RateLimited(String message, int code) {
			super(message);
			this.code = code;
		}

	}

	abstract static class BusinessFailure extends RuntimeException {

		BusinessFailure(String message) {
			super(message);
		}

	}

	/** Its only constructor takes the order, not a message, and formats the message from it. */
	static class OrderNotFound extends BusinessFailure {

		final String orderId;

		OrderNotFound(String orderId) {
			super("Order " + orderId + " not found");
			this.orderId = orderId;
		}

	}

	static class ArchivedOrderNotFound extends OrderNotFound {

		final int year;

		ArchivedOrderNotFound(String orderId, int year) {
			super(orderId);
			this.year = year;
		}

	}

	@ResponseStatus(code = HttpStatus.CONFLICT, reason = "Seat taken")
	static class SeatTaken extends RuntimeException {

		private final String seat;

		SeatTaken(String seat) {
			super("Seat " + seat + " is taken");
			this.seat = seat;
		}

	}

	static class PlainFailure extends RuntimeException {

		PlainFailure(String message) {
			super(message);
		}

	}

	/** Its message is built on the one given to the constructor, which a rebuild cannot know. */
	static class Coded extends RuntimeException {

		private final int code;

		Coded(int code, String message) {
			super(message);
			this.code = code;
		}

		@Override
		public String getMessage() {
			return "[" + this.code + "] " + super.getMessage();
		}

	}

	static class Planted extends RuntimeException {

		static {
			PLANTED_INITIALISED.set(true);
		}

		String payload;

		Planted(String message) {
			super(message);
		}

	}

	class Inner extends RuntimeException {

		Inner(String message) {
			super(message);
		}

	}

}
