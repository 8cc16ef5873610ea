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
package dev.idempotent.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.IdempotencyKeyReusedException;
import dev.idempotent.core.InvalidIdempotencyKeyException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.core.ReplayUnavailableException;
import dev.idempotent.core.RequestInProgressException;
import dev.idempotent.core.store.RecordState;
import dev.idempotent.test.ConcurrentCallers;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TestRedis;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** {@link Idempotent} on service methods, through the auto-configured proxy, on a real Redis. */
@SpringBootTest(classes = IdempotentMethodTests.App.class, properties = "idempotent.store.timeout=300ms")
class IdempotentMethodTests {

	private static final String PREFIX = "test-" + UUID.randomUUID() + ":";

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		registry.add("spring.data.redis.host", () -> TestRedis.endpoint().host());
		registry.add("spring.data.redis.port", () -> TestRedis.endpoint().port());
		registry.add("idempotent.key-prefix", () -> PREFIX);
		registry.add("idempotent.max-outcome-size", () -> "4KB");
		registry.add("idempotent.keep-on", () -> GloballyKeptFailure.class.getName());
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
	void pagesAndResponseEntitiesOfNestedGenericsRoundTripExactly() {
		String key = newKey();
		Page<Item> page = this.inventory.page(key, 2);
		Page<Item> replayedPage = this.inventory.page(key, 2);
		assertThat(replayedPage).isEqualTo(page).isInstanceOf(PageImpl.class);
		assertThat(replayedPage.getContent()).allSatisfy((item) -> assertThat(item).isInstanceOf(Item.class));
		assertThat(replayedPage.getPageable()).isEqualTo(page.getPageable());
		assertThat(replayedPage.getSort()).isEqualTo(Sort.by(Sort.Order.desc("serial").ignoreCase()));
		assertThat(replayedPage.getTotalElements()).isEqualTo(42);

		ResponseEntity<Page<Item>> entity = this.inventory.pageEntity(key);
		ResponseEntity<Page<Item>> replayedEntity = this.inventory.pageEntity(key);
		assertThat(replayedEntity.getStatusCode()).isEqualTo(HttpStatus.PARTIAL_CONTENT);
		assertThat(replayedEntity.getHeaders().getFirst("X-Total")).isEqualTo("3");
		assertThat(replayedEntity.getBody()).isEqualTo(entity.getBody());
		assertThat(replayedEntity.getBody().getPageable().isUnpaged()).isTrue();

		ResponseEntity<Map<String, List<Item>>> nested = this.inventory.bySku(key);
		ResponseEntity<Map<String, List<Item>>> replayedNested = this.inventory.bySku(key);
		assertThat(replayedNested.getBody()).isEqualTo(nested.getBody());
		assertThat(replayedNested.getBody().get("sku-1")).allSatisfy((item) -> assertThat(item).isInstanceOf(Item.class));
		assertThat(this.inventory.executions(key)).isEqualTo(3);
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
			.withMessageContaining("Inventory.later")
			.withMessageContaining("asynchronous return type (java.util.concurrent.Future)")
			.withMessageContaining("CompletableFuture<T>, CompletionStage<T>, Mono<T>, Flux<T> and suspend functions")
			.withMessageContaining("not yet: other Futures or Publishers, Kotlin Flows");
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

	@Test
	void sameKeyWithDifferentArgumentsIsKeyReusedAndLeavesTheFirstRecord() {
		String key = newKey();
		List<Item> first = this.inventory.reserve(new Reservation(key, "sku-1", 2));
		assertThatExceptionOfType(IdempotencyKeyReusedException.class)
			.isThrownBy(() -> this.inventory.reserve(new Reservation(key, "sku-1", 3)));
		assertThat(this.inventory.reserve(new Reservation(key, "sku-1", 2))).isEqualTo(first);
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	@Test
	void argumentsThatCannotBeWrittenAsJsonFailNamingTheMethodAndTheWayOut() {
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.opaque(newKey(), new Opaque()))
			.withMessageContaining("Inventory.opaque")
			.withMessageContaining("fingerprint = false");
	}

	@Test
	void scopeSeparatesTenantsSendingTheSameKey() {
		String key = newKey();
		assertThat(this.inventory.tenantCharge("tenant-a", key)).isEqualTo("tenant-a charged");
		assertThat(this.inventory.tenantCharge("tenant-b", key)).isEqualTo("tenant-b charged");
		assertThat(this.inventory.tenantCharge("tenant-a", key)).isEqualTo("tenant-a charged");
		assertThat(this.inventory.executions(key)).isEqualTo(2);
		assertThat(this.idempotence.find("tenantCharge", null, "tenant-b", key)).isPresent();
		assertThat(this.idempotence.find("tenantCharge", null, key)).as("no unscoped record").isEmpty();
	}

	@Test
	void keptFailureIsReplayedAsTheSameFailure() {
		String key = newKey();
		assertThatExceptionOfType(OutOfStock.class).isThrownBy(() -> this.inventory.take(key, "OUT"))
			.withMessage("sku OUT is out of stock");
		assertThatExceptionOfType(OutOfStock.class).isThrownBy(() -> this.inventory.take(key, "OUT"))
			.withMessage("sku OUT is out of stock");
		assertThat(this.inventory.executions(key)).isEqualTo(1);
		assertThat(this.idempotence.find("take", null, key))
			.hasValueSatisfying((record) -> assertThat(record.state()).isEqualTo(RecordState.COMPLETED));
	}

	@Test
	void releaseOnSubclassAndUnlistedFailuresReleaseTheKey() {
		String key = newKey();
		assertThatExceptionOfType(StockSystemDown.class).isThrownBy(() -> this.inventory.take(key, "DOWN"));
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.take(key, "BUG"));
		assertThat(this.inventory.take(key, "sku-1")).isEqualTo("took sku-1");
		assertThat(this.inventory.executions(key)).isEqualTo(3);
	}

	@Test
	void failureKeptByThePropertiesIsReplayedToo() {
		String key = newKey();
		assertThatExceptionOfType(GloballyKeptFailure.class).isThrownBy(() -> this.inventory.globallyKept(key));
		assertThatExceptionOfType(GloballyKeptFailure.class).isThrownBy(() -> this.inventory.globallyKept(key))
			.withMessage("kept by idempotent.keep-on");
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	@Test
	void keptFailureThatCannotBeRebuiltOrKeptAndReleasedFailsNamingTheMethod() {
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.unbuildable(newKey()))
			.withMessageContaining("Inventory.unbuildable")
			.withMessageContaining("enclosing instance");
		assertThatIllegalStateException().isThrownBy(() -> this.inventory.contradictory(newKey()))
			.withMessageContaining("Inventory.contradictory")
			.withMessageContaining(OutOfStock.class.getName());
	}

	@Test
	void outcomeLargerThanTheLimitRunsOnceAndItsDuplicateIsRefused() {
		String key = newKey();
		assertThat(this.inventory.large(key)).hasSize(5000);
		assertThatExceptionOfType(ReplayUnavailableException.class).isThrownBy(() -> this.inventory.large(key));
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	@Test
	void duplicateAwaitingCompletionReplaysTheFirstResult() throws Exception {
		String key = newKey();
		this.inventory.expectOthers(key, 1);
		CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> this.inventory.awaited(key));
		awaitRecord("awaited", key);
		CompletableFuture<String> duplicate = new CompletableFuture<>();
		Thread waiter = new Thread(() -> {
			try {
				duplicate.complete(this.inventory.awaited(key));
			}
			catch (RuntimeException ex) {
				duplicate.completeExceptionally(ex);
			}
		});
		waiter.start();
		// The duplicate found the call running and waits (between polls of the store) for it to finish.
		while (waiter.getState() != Thread.State.TIMED_WAITING) {
			assertThat(duplicate).as("the duplicate waits rather than answering at once").isNotDone();
			Thread.onSpinWait();
		}
		this.inventory.answered(key);
		assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("awaited " + key);
		assertThat(duplicate.get(30, TimeUnit.SECONDS)).isEqualTo("awaited " + key);
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	@Test
	void callRunningThreeTimesItsLeaseKeepsItsClaim() throws Exception {
		String key = newKey();
		this.inventory.expectOthers(key, 1);
		CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> this.inventory.longer(key));
		awaitRecord("longer", key);
		// The lease is 1 s: watch the claim through three and a half of them.
		Poll.holdsFor("the running call keeps its claim", Duration.ofMillis(3500),
				() -> this.idempotence.find("longer", null, key)
					.filter((record) -> record.state() == RecordState.IN_PROGRESS)
					.isPresent());
		assertThatExceptionOfType(RequestInProgressException.class).isThrownBy(() -> this.inventory.longer(key));
		this.inventory.answered(key);
		assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("longer " + key);
		assertThat(this.inventory.longer(key)).as("replayed").isEqualTo("longer " + key);
		assertThat(this.inventory.executions(key)).isEqualTo(1);
	}

	private void awaitRecord(String operation, String key) throws InterruptedException {
		Poll.until("the first call claims its key", () -> this.idempotence.find(operation, null, key).isPresent());
	}

	private static String newKey() {
		return UUID.randomUUID().toString();
	}

	record Reservation(String id, String sku, int quantity) {
	}

	static class OutOfStock extends RuntimeException {

		OutOfStock(String message) {
			super(message);
		}

	}

	static class StockSystemDown extends OutOfStock {

		StockSystemDown(String message) {
			super(message);
		}

	}

	static class GloballyKeptFailure extends RuntimeException {

		GloballyKeptFailure(String message) {
			super(message);
		}

	}

	/** An argument Jackson cannot write: its only property fails. */
	static class Opaque {

		public String getState() {
			throw new UnsupportedOperationException("not readable");
		}

	}

	/** An inner class: it holds its enclosing instance, which cannot be kept. */
	class Unbuildable extends RuntimeException {

		Unbuildable(int code) {
			super("code " + code);
		}

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

		@Idempotent(name = "page", key = "#key")
		public Page<Item> page(String key, int number) {
			count(key);
			List<Item> items = List.of(new Item("sku-1", 7), new Item("sku-2", 6));
			return new PageImpl<>(items, PageRequest.of(number, 2, Sort.by(Sort.Order.desc("serial").ignoreCase())), 42);
		}

		@Idempotent(name = "pageEntity", key = "#key")
		public ResponseEntity<Page<Item>> pageEntity(String key) {
			count(key);
			Page<Item> page = new PageImpl<>(List.of(new Item("a", 1), new Item("b", 2), new Item("c", 3)));
			return ResponseEntity.status(HttpStatus.PARTIAL_CONTENT).header("X-Total", "3").body(page);
		}

		@Idempotent(name = "bySku", key = "#key")
		public ResponseEntity<Map<String, List<Item>>> bySku(String key) {
			count(key);
			return ResponseEntity.ok(Map.of("sku-1", List.of(new Item("sku-1", 1), new Item("sku-1", 2))));
		}

		@Idempotent(name = "charge", key = "#p0", onDuplicate = DuplicatePolicy.REJECT)
		public String charge(String paymentId, int amount) {
			count(paymentId);
			return "charged " + paymentId;
		}

		@Idempotent(name = "byRoot", key = "#root.args[0]", fingerprint = false)
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

		@Idempotent(name = "opaque", key = "#key")
		public String opaque(String key, Opaque opaque) {
			return key;
		}

		@Idempotent(name = "tenantCharge", key = "#key", scope = "#tenant")
		public String tenantCharge(String tenant, String key) {
			count(key);
			return tenant + " charged";
		}

		@Idempotent(name = "take", key = "#key", keepOn = OutOfStock.class, releaseOn = StockSystemDown.class)
		public String take(String key, String sku) {
			count(key);
			switch (sku) {
				case "OUT" -> throw new OutOfStock("sku " + sku + " is out of stock");
				case "DOWN" -> throw new StockSystemDown("stock system down");
				case "BUG" -> throw new IllegalStateException("not listed");
				default -> {
					return "took " + sku;
				}
			}
		}

		@Idempotent(name = "globallyKept", key = "#key")
		public String globallyKept(String key) {
			count(key);
			throw new GloballyKeptFailure("kept by idempotent.keep-on");
		}

		@Idempotent(key = "#key", keepOn = Unbuildable.class)
		public String unbuildable(String key) {
			return key;
		}

		@Idempotent(key = "#key", keepOn = OutOfStock.class, releaseOn = OutOfStock.class)
		public String contradictory(String key) {
			return key;
		}

		@Idempotent(name = "large", key = "#key")
		public String large(String key) {
			count(key);
			return "x".repeat(5000);
		}

		@Idempotent(name = "awaited", key = "#key", awaitCompletion = "30s")
		public String awaited(String key) {
			count(key);
			await(key);
			return "awaited " + key;
		}

		@Idempotent(name = "longer", key = "#key", lease = "1s")
		public String longer(String key) {
			count(key);
			await(key);
			return "longer " + key;
		}

		private void await(String key) {
			try {
				this.othersAnswered.get(key).await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

		@Idempotent(key = "#key", lease = "thirty seconds")
		public String badLease(String key) {
			return key;
		}

		@Idempotent(key = "#key")
		public Future<String> later(String key) {
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
