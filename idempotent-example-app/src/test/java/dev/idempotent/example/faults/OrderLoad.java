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
package dev.idempotent.example.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A steady load of concurrent clients placing orders on the example service, each behaving as a real
 * client does: it sends orders under fresh idempotency keys, retries a key that was refused (503, 409
 * in progress or a broken connection) once the answer's {@code Retry-After} has passed, takes a 409
 * replay-unavailable as final, and now and then sends a
 * key that succeeded again, a duplicate that must be replayed. Every attempt is recorded with its
 * timing, so a test can say what each phase of a fault answered; an order's SKU is its key, so the
 * orders the service holds can be matched to the keys that ran them.
 */
final class OrderLoad implements AutoCloseable {

	/** The demo user every order is placed as. */
	static final String USER = "alice";

	private static final Logger logger = LoggerFactory.getLogger(OrderLoad.class);

	private static final Path REPORT = Path.of("target", "fault-injection.txt");

	// One attempt in ten sends a key that already succeeded again.
	private static final int DUPLICATE_ONE_IN = 10;

	private final String name;

	private final int threads;

	private final long processingMillis;

	private final List<ExampleHttpClient> targets;

	private final Set<Integer> stopped = ConcurrentHashMap.newKeySet();

	private final AtomicInteger nextTarget = new AtomicInteger();

	private final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();

	private final Map<String, Attempt> inFlight = new ConcurrentHashMap<>();

	private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();

	private final List<Thread> workers = new ArrayList<>();

	private volatile boolean running;

	private long startedAt;

	private long stoppedAt;

	/**
	 * A load that has not started yet.
	 * @param name the fault, which starts every key (and so every SKU)
	 * @param threads how many clients send at once
	 * @param processingMillis how long each order works in the service
	 * @param targets the instances of the service, sent to in turn
	 */
	OrderLoad(String name, int threads, long processingMillis, List<ExampleHttpClient> targets) {
		this.name = name;
		this.threads = threads;
		this.processingMillis = processingMillis;
		this.targets = List.copyOf(targets);
	}

	void start() {
		this.running = true;
		this.startedAt = System.nanoTime();
		for (int i = 0; i < this.threads; i++) {
			Thread worker = new Thread(this::work, "order-load-" + this.name + "-" + i);
			worker.setDaemon(true);
			this.workers.add(worker);
			worker.start();
		}
	}

	/** Stops sending and waits for every client's last answer. */
	void stop() throws InterruptedException {
		if (!this.running) {
			return;
		}
		this.running = false;
		for (Thread worker : this.workers) {
			worker.join(TimeUnit.SECONDS.toMillis(60));
			assertThat(worker.isAlive()).as("%s has its last answer", worker.getName()).isFalse();
		}
		this.stoppedAt = System.nanoTime();
	}

	@Override
	public void close() throws InterruptedException {
		stop();
	}

	/** Sends nothing more to this target (an instance that is gone); its clients go to the others. */
	void stopSendingTo(int target) {
		this.stopped.add(target);
	}

	private void work() {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		// A refused key and when it may be retried; the keys answered 201.
		Map<String, Long> refused = new HashMap<>();
		List<String> succeeded = new ArrayList<>();
		Set<String> succeededKeys = new HashSet<>();
		while (this.running) {
			try {
				String key = nextRetry(refused);
				if (key == null) {
					key = (!succeeded.isEmpty() && random.nextInt(DUPLICATE_ONE_IN) == 0)
							? succeeded.get(random.nextInt(succeeded.size())) : this.name + "-" + UUID.randomUUID();
				}
				Attempt attempt = send(key);
				if (attempt.status() == 201) {
					refused.remove(key);
					if (succeededKeys.add(key)) {
						succeeded.add(key);
					}
				}
				else if (attempt.isReplayUnavailable()) {
					// Final: the order ran, but its answer was not kept. A client does not retry it.
					refused.remove(key);
				}
				else {
					refused.put(key, attempt.end() + TimeUnit.SECONDS.toNanos(attempt.retryAfterSeconds()));
				}
			}
			catch (RuntimeException | Error ex) {
				this.failures.add(ex);
				return;
			}
		}
	}

	private static @Nullable String nextRetry(Map<String, Long> refused) {
		long now = System.nanoTime();
		for (Map.Entry<String, Long> entry : refused.entrySet()) {
			if (entry.getValue() - now <= 0) {
				return entry.getKey();
			}
		}
		return null;
	}

	private Attempt send(String key) {
		int target = nextTarget();
		String order = "{\"sku\":\"" + key + "\",\"quantity\":1,\"processingMillis\":" + this.processingMillis + "}";
		long start = System.nanoTime();
		this.inFlight.put(key, Attempt.inFlight(key, target, start));
		try {
			Attempt attempt;
			try {
				HttpResponse<String> response = this.targets.get(target).post(USER, "/orders", key, order);
				attempt = Attempt.of(key, target, start, System.nanoTime(), response);
			}
			catch (UncheckedIOException ex) {
				attempt = Attempt.broken(key, target, start, System.nanoTime());
			}
			// Recorded before it leaves the in-flight map, so no moment sees it in neither.
			this.attempts.add(attempt);
			return attempt;
		}
		finally {
			this.inFlight.remove(key);
		}
	}

	private int nextTarget() {
		for (int i = 0; i < this.targets.size(); i++) {
			int target = Math.floorMod(this.nextTarget.getAndIncrement(), this.targets.size());
			if (!this.stopped.contains(target)) {
				return target;
			}
		}
		throw new IllegalStateException("Every target of the load is stopped");
	}

	/** Waits until at least {@code count} recorded answers match. */
	void awaitAnswers(String what, int count, Predicate<Attempt> which) throws InterruptedException {
		awaitAnswers(what, Duration.ZERO, count, which);
	}

	/**
	 * Keeps the load on for at least {@code atLeast}, and until at least {@code count} recorded
	 * answers match: a phase long enough to mean something on a fast machine, and with enough answers
	 * on a slow one.
	 */
	void awaitAnswers(String what, Duration atLeast, int count, Predicate<Attempt> which)
			throws InterruptedException {
		long until = System.nanoTime() + atLeast.toNanos();
		try {
			Poll.until(what + " (" + count + " answers)", () -> {
				assertThat(this.failures).as("load clients failed").isEmpty();
				return System.nanoTime() - until >= 0 && this.attempts.stream().filter(which).count() >= count;
			});
		}
		catch (AssertionError ex) {
			throw new AssertionError(ex.getMessage() + "; answers so far by status: " + this.attempts.stream()
				.collect(Collectors.groupingBy(Attempt::status, Collectors.counting())), ex);
		}
	}

	/** Waits until every request sent before {@code time} (a {@link System#nanoTime()}) is answered. */
	void awaitAnsweredBefore(long time) throws InterruptedException {
		Poll.until("every request sent before the fault is answered",
				() -> this.inFlight.values().stream().allMatch((attempt) -> attempt.start() - time >= 0));
	}

	/** The requests on their way now, to one target. */
	List<Attempt> inFlight(int target) {
		return this.inFlight.values().stream().filter((attempt) -> attempt.target() == target).toList();
	}

	/** The recorded answers that match, in no particular order. */
	List<Attempt> attempts(Predicate<Attempt> which) {
		return this.attempts.stream().filter(which).toList();
	}

	/** The orders one instance holds for this load's keys: their ids by key. */
	Map<String, List<String>> ordersOn(ExampleHttpClient target) {
		HttpResponse<String> response = target.get(USER, "/orders");
		assertThat(response.statusCode()).as("GET /orders").isEqualTo(200);
		Map<String, List<String>> orders = new HashMap<>();
		for (JsonNode order : ExampleHttpClient.json(response)) {
			String key = order.get("sku").asString();
			if (key.startsWith(this.name + "-")) {
				orders.computeIfAbsent(key, (k) -> new ArrayList<>()).add(order.get("id").asString());
			}
		}
		return orders;
	}

	/** How many of this load's orders one instance holds. */
	int executionsOn(ExampleHttpClient target) {
		return ordersOn(target).values().stream().mapToInt(List::size).sum();
	}

	/**
	 * Checks what the clients were answered against what the service did, on the instances whose
	 * orders can be seen (a killed instance's orders die with it), and tallies both. Every answer is a
	 * 201, a 409 in progress or replay-unavailable, a 503 storage unavailable, or (from a stopped target
	 * only) no answer. Each
	 * key ran at most once and was answered as new at most once; every order ran on a visible instance
	 * answered its client with a fresh 201 carrying its id; every 201 for a key, replays included,
	 * carries the same order.
	 * @param visible the orders of each visible instance, by target
	 */
	Tally verify(Map<Integer, Map<String, List<String>>> visible) {
		assertThat(this.running).as("the load is stopped").isFalse();
		assertThat(this.failures).as("load clients failed").isEmpty();
		List<Attempt> all = List.copyOf(this.attempts);
		for (Attempt attempt : all) {
			assertThat(attempt.isExpected() || (attempt.status() == 0 && this.stopped.contains(attempt.target())))
				.as("an expected answer: %s", attempt)
				.isTrue();
		}
		Map<String, List<Attempt>> byKey = all.stream().collect(Collectors.groupingBy(Attempt::key));
		Map<String, List<String>> executed = new HashMap<>();
		visible.values()
			.forEach((orders) -> orders.forEach(
					(key, ids) -> executed.computeIfAbsent(key, (k) -> new ArrayList<>()).addAll(ids)));
		List<String> ranTwice = executed.entrySet()
			.stream()
			.filter((entry) -> entry.getValue().size() > 1)
			.map(Map.Entry::getKey)
			.toList();
		List<String> answeredNewTwice = byKey.entrySet()
			.stream()
			.filter((entry) -> entry.getValue().stream().filter(Attempt::isFresh).count() > 1)
			.map(Map.Entry::getKey)
			.toList();
		List<String> lost = new ArrayList<>();
		for (Map.Entry<String, List<Attempt>> entry : byKey.entrySet()) {
			Set<String> answered = entry.getValue()
				.stream()
				.filter((attempt) -> attempt.status() == 201)
				.map(Attempt::orderId)
				.collect(Collectors.toSet());
			assertThat(answered).as("every 201 for key %s carries one order", entry.getKey()).hasSizeLessThan(2);
			boolean ranVisibly = entry.getValue()
				.stream()
				.anyMatch((attempt) -> attempt.isFresh() && visible.containsKey(attempt.target()));
			List<String> orders = executed.getOrDefault(entry.getKey(), List.of());
			if (ranVisibly && !orders.containsAll(answered)) {
				lost.add(entry.getKey());
			}
		}
		for (Map.Entry<String, List<String>> entry : executed.entrySet()) {
			assertThat(byKey.getOrDefault(entry.getKey(), List.of()))
				.as("the order for key %s was answered to its client as new, by the instance that ran it",
						entry.getKey())
				.anySatisfy((attempt) -> {
					assertThat(attempt.isFresh()).isTrue();
					assertThat(visible).containsKey(attempt.target());
					assertThat(attempt.orderId()).isIn(entry.getValue());
				});
		}
		assertThat(ranTwice).as("keys run twice").isEmpty();
		assertThat(answeredNewTwice).as("keys answered as new twice").isEmpty();
		assertThat(lost).as("keys answered 201 whose order is missing").isEmpty();
		int executions = executed.values().stream().mapToInt(List::size).sum();
		return new Tally(this.name, this.threads, Duration.ofNanos(this.stoppedAt - this.startedAt), all.size(),
				byKey.size(), executions, count(all, Attempt::isFresh), count(all, Attempt::isReplay),
				count(all, Attempt::isInProgress), count(all, Attempt::isReplayUnavailable),
				count(all, (attempt) -> attempt.status() == 503),
				count(all, (attempt) -> attempt.status() == 0), lost.size(), ranTwice.size());
	}

	private static int count(List<Attempt> attempts, Predicate<Attempt> which) {
		return (int) attempts.stream().filter(which).count();
	}

	/**
	 * One request and its answer.
	 *
	 * @param key its idempotency key
	 * @param target the instance it was sent to
	 * @param start when it was sent ({@link System#nanoTime()})
	 * @param end when its answer came, or the connection broke
	 * @param status the HTTP status, 0 for no answer (the connection broke)
	 * @param replayed whether it was answered {@code Idempotent-Replayed: true}
	 * @param orderId the order in a 201
	 * @param problem the problem type of an error
	 * @param retryAfterSeconds the {@code Retry-After}, 0 without one
	 */
	record Attempt(String key, int target, long start, long end, int status, boolean replayed,
			@Nullable String orderId, @Nullable String problem, long retryAfterSeconds) {

		static final String IN_PROGRESS = "urn:idempotent:problem:request-in-progress";

		static final String STORAGE_UNAVAILABLE = "urn:idempotent:problem:storage-unavailable";

		static final String REPLAY_UNAVAILABLE = "urn:idempotent:problem:replay-unavailable";

		static Attempt inFlight(String key, int target, long start) {
			return new Attempt(key, target, start, start, 0, false, null, null, 0);
		}

		static Attempt broken(String key, int target, long start, long end) {
			return new Attempt(key, target, start, end, 0, false, null, null, 0);
		}

		static Attempt of(String key, int target, long start, long end, HttpResponse<String> response) {
			int status = response.statusCode();
			boolean replayed = response.headers().firstValue("Idempotent-Replayed").filter("true"::equals).isPresent();
			String orderId = null;
			String problem = null;
			if (status == 201) {
				orderId = ExampleHttpClient.json(response).get("id").asString();
			}
			else if (response.headers().firstValue("Content-Type").filter("application/problem+json"::equals)
				.isPresent()) {
				problem = ExampleHttpClient.json(response).get("type").asString();
			}
			long retryAfter = response.headers().firstValue("Retry-After").map(Long::parseLong).orElse(0L);
			return new Attempt(key, target, start, end, status, replayed, orderId, problem, retryAfter);
		}

		boolean isFresh() {
			return this.status == 201 && !this.replayed;
		}

		boolean isReplay() {
			return this.status == 201 && this.replayed;
		}

		boolean isRefused() {
			return this.status == 503 && STORAGE_UNAVAILABLE.equals(this.problem);
		}

		boolean isInProgress() {
			return this.status == 409 && IN_PROGRESS.equals(this.problem);
		}

		boolean isReplayUnavailable() {
			return this.status == 409 && REPLAY_UNAVAILABLE.equals(this.problem);
		}

		boolean isExpected() {
			return (this.status == 201 && this.orderId != null) || isInProgress() || isRefused()
					|| isReplayUnavailable();
		}

		Duration latency() {
			return Duration.ofNanos(this.end - this.start);
		}

	}

	/**
	 * What a load did, for the summary line the README's Reliability section quotes.
	 *
	 * @param fault the fault injected
	 * @param threads the clients sending at once
	 * @param duration how long the load ran
	 * @param requests the requests answered (or broken)
	 * @param keys the distinct idempotency keys sent
	 * @param executions the orders run, on the instances that can be seen
	 * @param fresh the 201s answered as new
	 * @param replays the 201s replayed
	 * @param inProgress the 409s: a claim still held
	 * @param replayUnavailable the 409s: completed, but the outcome was not kept
	 * @param refused the 503s
	 * @param broken the requests whose connection broke
	 * @param lost the keys answered 201 whose order is missing
	 * @param ranTwice the keys run more than once
	 */
	record Tally(String fault, int threads, Duration duration, int requests, int keys, int executions, int fresh,
			int replays, int inProgress, int replayUnavailable, int refused, int broken, int lost, int ranTwice) {

		/** Logs the summary line, with what else the fault measured, and appends it to a report file. */
		void report(String details) {
			String line = String.format(Locale.ROOT,
					"%s: %d threads for %.1f s, %d requests on %d keys: %d executions, %d 201 new, %d 201 replayed, "
							+ "%d 409 in progress, %d 409 replay-unavailable, %d 503, %d connections broken, %d lost, "
							+ "%d run twice; %s",
					this.fault, this.threads, this.duration.toMillis() / 1000.0, this.requests, this.keys,
					this.executions, this.fresh, this.replays, this.inProgress, this.replayUnavailable, this.refused,
					this.broken, this.lost, this.ranTwice, details);
			logger.info("Fault injection: {}", line);
			try {
				Files.createDirectories(REPORT.getParent());
				Files.writeString(REPORT, line + System.lineSeparator(), StandardCharsets.UTF_8,
						StandardOpenOption.CREATE, StandardOpenOption.APPEND);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
		}

	}

}
