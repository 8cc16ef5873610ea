package dev.idempotent.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.InvalidIdempotencyKeyException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.core.RecordState;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.test.TestRedis;
import dev.idempotent.testing.ConcurrentCallers;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** {@link Idempotent} on service methods, through the auto-configured proxy, on a real Redis. */
@SpringBootTest(classes = IdempotentMethodTests.App.class)
class IdempotentMethodTests {

	private static final String PREFIX = "test-" + UUID.randomUUID() + ":";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> PREFIX);
	}

	@Autowired
	private Inventory inventory;

	@Autowired
	private IdempotenceService idempotence;

	@Autowired
	private StringRedisTemplate redis;

	@Test
	void replayReadsBackTheDeclaredGenericType() {
		String key = newKey();
		List<Item> first = this.inventory.reserve(new Reservation(key, "sku-1", 2));
		List<Item> replay = this.inventory.reserve(new Reservation(key, "sku-1", 2));
		assertThat(replay).isEqualTo(first).hasSize(2).allSatisfy((item) -> assertThat(item).isInstanceOf(Item.class));
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	@Test
	void positionalKeyAndRejectPolicy() {
		String key = newKey();
		assertThat(this.inventory.charge(key, 10)).isEqualTo("charged " + key);
		assertThatExceptionOfType(DuplicateRequestException.class).isThrownBy(() -> this.inventory.charge(key, 10));
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	@Test
	void rootObjectAndBeanReferencesInKeys() {
		String key = newKey();
		assertThat(this.inventory.byRoot(key, "x")).isEqualTo(1);
		assertThat(this.inventory.byRoot(key, "y")).as("same key from #root.args[0]").isEqualTo(1);
		assertThat(this.inventory.byBean(key)).isEqualTo(1);
		assertThat(this.inventory.byBean(key)).isEqualTo(1);
		assertThat(this.idempotence.find("byBean", null, "bean-" + key)).isPresent();
	}

	@Test
	void keyEvaluatingToNullIsMissingAndBlankIsInvalid() {
		int recordsBefore = this.redis.keys(PREFIX + "reserve:*").size();
		assertThatExceptionOfType(MissingIdempotencyKeyException.class)
			.isThrownBy(() -> this.inventory.reserve(new Reservation(null, "sku-1", 1)));
		assertThatExceptionOfType(InvalidIdempotencyKeyException.class)
			.isThrownBy(() -> this.inventory.reserve(new Reservation("  ", "sku-1", 1)));
		assertThat(this.redis.keys(PREFIX + "reserve:*")).as("nothing stored for a rejected key").hasSize(recordsBefore);
		assertThat(this.inventory.executions("  ")).isZero();
	}

	@Test
	void headerKeyOutsideAnHttpRequestIsMissing() {
		assertThatExceptionOfType(MissingIdempotencyKeyException.class).isThrownBy(() -> this.inventory.fromHeader());
	}

	@Test
	void exceptionReleasesTheKeySoARetryRuns() {
		String key = newKey();
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.failOnce(key)).withMessage("transient");
		assertThat(this.inventory.failOnce(key)).isEqualTo("second attempt");
		assertThat(this.inventory.executions(key)).isEqualTo(2);
	}

	@Test
	void deleteInsideTheCallReleasesItsClaim() {
		String key = newKey();
		assertThat(this.inventory.releaseItself(key)).isEqualTo("released");
		assertThat(this.idempotence.find("releaseItself", null, key)).isEmpty();
		assertThat(this.inventory.releaseItself(key)).isEqualTo("released");
		assertThat(this.inventory.executions(key)).isEqualTo(2);
	}

	@Test
	void operatorFindAndDelete() {
		String key = newKey();
		this.inventory.charge(key, 1);
		assertThat(this.idempotence.find("charge", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
		assertThat(this.idempotence.delete("charge", null, key)).isTrue();
		assertThat(this.inventory.charge(key, 1)).isEqualTo("charged " + key);
		assertThat(this.inventory.executions(key)).isEqualTo(2);
		assertThatIllegalStateException().isThrownBy(() -> this.idempotence.delete(key))
			.withMessageContaining("No idempotent call is running");
	}

	@Test
	void misconfiguredAnnotationFailsNamingTheMethod() {
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.badLease(newKey()))
			.withMessageContaining("Inventory.badLease")
			.withMessageContaining("not a duration");
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.later(newKey()))
			.withMessageContaining("asynchronous");
	}

	@Test
	void sixtyFourConcurrentCallsWithOneKeyRunOnce() throws Exception {
		String key = newKey();
		int callers = 64;
		this.inventory.expectOthers(key, callers - 1);
		List<String> outcomes = ConcurrentCallers.race(callers, () -> {
			try {
				return this.inventory.slow(key);
			}
			catch (RequestInProgressException ex) {
				this.inventory.answered(key);
				return "in-progress";
			}
		});
		assertThat(this.inventory.executions(key)).isEqualTo(1);
		assertThat(outcomes).containsOnlyOnce("slow " + key).hasSize(callers)
			.filteredOn("in-progress"::equals)
			.hasSize(callers - 1);
		assertThat(this.inventory.slow(key)).as("replayed once completed").isEqualTo("slow " + key);
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	private static String newKey() {
		return UUID.randomUUID().toString();
	}

	record Reservation(String id, String sku, int quantity) {
	}

	record Item(String sku, int serial) {
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class App {

		@Bean
		Inventory inventory() {
			return new Inventory();
		}

		@Bean
		KeyPrefixer keyPrefixer() {
			return new KeyPrefixer();
		}

	}

	static class KeyPrefixer {

		public String prefix(String key) {
			return "bean-" + key;
		}

	}

	static class Inventory {

		private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

		private final Map<String, CountDownLatch> othersAnswered = new ConcurrentHashMap<>();

		@Autowired
		private IdempotenceService idempotence;

		@Idempotent(name = "reserve", key = "#reservation.id")
		public List<Item> reserve(Reservation reservation) {
			count(reservation.id());
			List<Item> items = new ArrayList<>();
			for (int i = 0; i < reservation.quantity(); i++) {
				items.add(new Item(reservation.sku(), i));
			}
			return items;
		}

		@Idempotent(name = "charge", key = "#p0", onDuplicate = DuplicatePolicy.REJECT)
		public String charge(String paymentId, int amount) {
			count(paymentId);
			return "charged " + paymentId;
		}

		@Idempotent(name = "byRoot", key = "#root.args[0]")
		public int byRoot(String key, String ignored) {
			return count("root-" + key);
		}

		@Idempotent(name = "byBean", key = "@keyPrefixer.prefix(#key)")
		public int byBean(String key) {
			return count("bean-" + key);
		}

		@Idempotent(name = "fromHeader")
		public String fromHeader() {
			return "never";
		}

		@Idempotent(name = "failOnce", key = "#key")
		public String failOnce(String key) {
			if (count(key) == 1) {
				throw new IllegalStateException("transient");
			}
			return "second attempt";
		}

		@Idempotent(name = "releaseItself", key = "#key")
		public String releaseItself(String key) {
			count(key);
			this.idempotence.delete(key);
			return "released";
		}

		@Idempotent(name = "slow", key = "#key", lease = "${test.slow-lease:45s}")
		public String slow(String key) throws InterruptedException {
			count(key);
			// A slow method: it holds the claim until every other caller has been answered.
			this.othersAnswered.get(key).await(30, TimeUnit.SECONDS);
			return "slow " + key;
		}

		void expectOthers(String key, int others) {
			this.othersAnswered.put(key, new CountDownLatch(others));
		}

		void answered(String key) {
			this.othersAnswered.get(key).countDown();
		}

		@Idempotent(key = "#key", lease = "thirty seconds")
		public String badLease(String key) {
			return key;
		}

		@Idempotent(key = "#key")
		public CompletableFuture<String> later(String key) {
			return CompletableFuture.completedFuture(key);
		}

		private int count(String key) {
			return this.executions.computeIfAbsent(key, (k) -> new AtomicInteger()).incrementAndGet();
		}

		int executions(String key) {
			AtomicInteger count = this.executions.get(key);
			return (count != null) ? count.get() : 0;
		}

	}

}
