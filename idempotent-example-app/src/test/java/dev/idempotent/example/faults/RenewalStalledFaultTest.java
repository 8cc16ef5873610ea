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

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Orders that outlive their lease, so they hold their keys only by renewing them, while Redis hangs
 * again and again for longer than a store call may take but shorter than a lease: the renewals that
 * hang time out and are tried again, every lease holds, no order loses its key or runs twice, and
 * nothing is logged or counted as a lost lease.
 */
@ExtendWith(OutputCaptureExtension.class)
@TestPropertySource(properties = "idempotent.lease=" + RenewalStalledFaultTest.LEASE)
class RenewalStalledFaultTest extends RedisFaultTests {

	static final String LEASE = "3s";

	// Longer than a store call may take (500 ms), shorter than the lease.
	private static final Duration STALL = Duration.ofMillis(1500);

	private static final int STALLS = 3;

	@Test
	void renewalsThatHangOnAStalledRedisKeepEveryLease(CapturedOutput output) throws Exception {
		double lostBefore = leasesLost();
		try (OrderLoad load = load("renewal-stalled", 4000)) {
			load.start();
			Poll.until("every client's order is running", () -> running(load, 0).size() >= THREADS);
			Set<String> runningAtStall = Set.copyOf(running(load, 0));
			long stalledFor = 0;
			for (int i = 0; i < STALLS; i++) {
				long start = System.nanoTime();
				proxy.pause();
				Thread.sleep(STALL.toMillis()); // the fault's duration, not a wait for something to happen
				proxy.resume();
				stalledFor += System.nanoTime() - start;
				Thread.sleep(STALL.toMillis() / 3); // Redis answers for a while between stalls
			}
			load.awaitAnswers("the orders running at the first stall are answered", runningAtStall.size(),
					(attempt) -> runningAtStall.contains(attempt.key()) && attempt.status() != 0);
			load.stop();

			Map<String, List<Attempt>> answers = load.attempts((attempt) -> runningAtStall.contains(attempt.key()))
				.stream()
				.collect(Collectors.groupingBy(Attempt::key));
			answers.forEach((key, attempts) -> assertThat(attempts).as("the order %s, running through the stalls", key)
				.anySatisfy((attempt) -> assertThat(attempt.isFresh()).isTrue()));
			assertThat(leasesLost() - lostBefore).as("idempotency.incidents{incident=lease_lost}").isZero();
			assertThat(output.getAll()).doesNotContain("lost its claim while running");
			Tally tally = load.verify(Map.of(0, load.ordersOn(http())));
			tally.report(String.format("Redis stalled %d times for %d ms in all (store timeout 500 ms, lease %s) "
					+ "while %d orders of 4 s ran on renewed leases: 0 leases lost", STALLS, stalledFor / 1_000_000,
					LEASE, runningAtStall.size()));
		}
	}

	private double leasesLost() {
		return http().metricCount("idempotency.incidents", "operation:orders", "incident:lease_lost");
	}

}
