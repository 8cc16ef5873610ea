package dev.idempotent.example.faults;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.idempotent.example.faults.OrderLoad.Attempt;
import dev.idempotent.example.faults.OrderLoad.Tally;
import dev.idempotent.test.Poll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redis cut off under load while orders are running, so their completions cannot be stored: each
 * such caller still gets its order (201, run once), an ERROR log names its key for repair, and the
 * {@code completion_failed} outcome is counted. The claim of such a key stays until its lease lapses;
 * until then a retry answers 409, and no order runs twice.
 */
@ExtendWith(OutputCaptureExtension.class)
class CompletionFailedFaultTest extends RedisFaultTests {

	private static final Pattern COMPLETION_FAILED = Pattern
		.compile("ERROR.*outcome could not be stored.*\\[operation=orders, key=(completion-failed-[^,\\]]+)");

	private static final int RUNNING = 3;

	@Test
	void callersWhoseCompletionFailsGetTheirOrderAndTheLogNamesTheirKeys(CapturedOutput output) throws Exception {
		double countedBefore = completionFailuresCounted();
		try (OrderLoad load = load("completion-failed", 300)) {
			load.start();
			Fault fault = inject(load, PHASE, () -> {
				Poll.until("at least " + RUNNING + " orders are running", () -> running(load, 0).size() >= RUNNING);
				proxy.cut();
			}, proxy::restore);

			Set<String> logged = completionFailures(output);
			assertThat(logged).as("keys whose completion failed, named in an ERROR log").isNotEmpty();
			Map<String, List<Attempt>> answers = load.attempts((attempt) -> logged.contains(attempt.key()))
				.stream()
				.collect(Collectors.groupingBy(Attempt::key));
			assertThat(answers.keySet()).as("keys named in the log that the load sent").isEqualTo(logged);
			answers.forEach((key, attempts) -> assertThat(attempts)
				.as("the caller of %s got its order although its completion failed", key)
				.anySatisfy((attempt) -> assertThat(attempt.isFresh()).isTrue()));
			assertThat(completionFailuresCounted() - countedBefore)
				.as("idempotency.requests{operation=orders, outcome=completion_failed}")
				.isEqualTo(logged.size());
			assertRefusedThroughout(fault);
			Tally tally = load.verify(Map.of(0, load.ordersOn(http())));
			tally.report(String.format("Redis cut off with %d or more orders running: %d completions failed, "
					+ "each answered 201 and logged at ERROR with its key", RUNNING, logged.size()));
		}
	}

	private double completionFailuresCounted() {
		return http().metricCount("idempotency.requests", "operation:orders", "outcome:completion_failed");
	}

	private static Set<String> completionFailures(CapturedOutput output) {
		Matcher matcher = COMPLETION_FAILED.matcher(output.getAll());
		Set<String> keys = new HashSet<>();
		while (matcher.find()) {
			keys.add(matcher.group(1));
		}
		return keys;
	}

}
