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
package dev.idempotent.spring.transport;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

import dev.idempotent.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotent.core.DuplicateRequestException;
import dev.idempotent.core.Execution;
import dev.idempotent.core.IdempotencyCall;
import dev.idempotent.core.IdempotencyException;
import dev.idempotent.core.MissingIdempotencyKeyException;
import dev.idempotent.spring.Idempotent;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.annotation.AnnotatedElementUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A new kind of invocation is one {@link IdempotencyTransport} bean: here, steps of a batch job, keyed
 * by the job's run and answered by skipping a step that ran before. The methods it supports take their
 * key, fingerprint and answers from it; every other method keeps the default transport.
 */
class IdempotencyTransportTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, AopAutoConfiguration.class,
				JacksonAutoConfiguration.class))
		.withPropertyValues("idempotent.store.type=in-memory")
		.withBean(JobRuns.class)
		.withBean(JobStepTransport.class)
		.withBean(Steps.class);

	@Test
	void aTransportBeanCarriesTheMethodsItSupports() {
		this.runner.run((context) -> {
			Steps steps = context.getBean(Steps.class);
			JobRuns runs = context.getBean(JobRuns.class);
			runs.current = "run-1";
			assertThat(steps.load("customers.csv")).isEqualTo("loaded customers.csv");
			assertThat(steps.load("customers.csv")).as("the step ran for this run").isEqualTo("skipped");
			runs.current = "run-2";
			assertThat(steps.load("customers.csv")).isEqualTo("loaded customers.csv");
			assertThat(steps.executions()).containsExactly("customers.csv", "customers.csv");
		});
	}

	@Test
	void itsFingerprintIsTheOneTheMethodsGet() {
		this.runner.run((context) -> {
			Steps steps = context.getBean(Steps.class);
			context.getBean(JobRuns.class).current = "run-3";
			steps.load("customers.csv");
			assertThat(steps.load("orders.csv")).as("same run, other input: the key was used for another request")
				.isEqualTo("refused: IdempotencyKeyReusedException");
			assertThat(steps.executions()).containsExactly("customers.csv");
		});
	}

	@Test
	void theApplicationsTransportComesBeforeTheLibrarys() {
		this.runner.run((context) -> {
			Steps steps = context.getBean(Steps.class);
			context.getBean(JobRuns.class).current = "run-5";
			assertThat(steps.loadFromQueue("customers.csv")).isEqualTo("loaded customers.csv");
			assertThat(steps.loadFromQueue("customers.csv"))
				.as("a listener's duplicate would be acknowledged as null; the job transport skips it")
				.isEqualTo("skipped");
		});
	}

	@Test
	void otherMethodsKeepTheDefaultTransport() {
		this.runner.run((context) -> {
			Steps steps = context.getBean(Steps.class);
			context.getBean(JobRuns.class).current = "run-4";
			assertThatExceptionOfType(MissingIdempotencyKeyException.class)
				.as("a plain call reads no job run: its key would come from an HTTP header")
				.isThrownBy(() -> steps.report("customers.csv"));
			assertThat(steps.report("customers.csv", "report-1")).isEqualTo("reported customers.csv");
			assertThatExceptionOfType(DuplicateRequestException.class)
				.isThrownBy(() -> steps.report("customers.csv", "report-1"));
		});
	}

	/** Marks a step of a batch job. */
	@Target(ElementType.METHOD)
	@Retention(RetentionPolicy.RUNTIME)
	@interface JobStep {

	}

	/** The run of the job on this thread, as a job framework would hold it. */
	static class JobRuns {

		volatile @Nullable String current;

	}

	/** Steps are keyed by the job's run; a step that ran before is skipped, not replayed. */
	static class JobStepTransport implements IdempotencyTransport {

		private final JobRuns runs;

		JobStepTransport(JobRuns runs) {
			this.runs = runs;
		}

		@Override
		public boolean supports(Method method) {
			return AnnotatedElementUtils.hasAnnotation(method, JobStep.class);
		}

		@Override
		public @Nullable String key(String header) {
			return this.runs.current;
		}

		@Override
		public void fingerprint(Method method, Object[] arguments, FingerprintInputs inputs) {
			inputs.text("job-step").values(arguments);
		}

		@Override
		public @Nullable Object invoke(IdempotencyInvocation invocation) throws Throwable {
			IdempotencyCall call = invocation.resolveCall();
			try {
				Execution<Object> execution = invocation.execute(call, invocation::proceed);
				return execution.replayed() ? "skipped" : execution.getOrThrow();
			}
			catch (IdempotencyException ex) {
				return "refused: " + ex.getClass().getSimpleName();
			}
		}

	}

	static class Steps {

		private final List<String> executions = new ArrayList<>();

		// Read through the proxy, which delegates to the bean.
		public List<String> executions() {
			return this.executions;
		}

		@JobStep
		@Idempotent(name = "load-step")
		public String load(String file) {
			this.executions.add(file);
			return "loaded " + file;
		}

		// Both this test's transport and the library's message-listener transport support it.
		@JobStep
		@RabbitListener(queues = "steps")
		@Idempotent(name = "queued-load-step")
		public String loadFromQueue(String file) {
			return "loaded " + file;
		}

		@Idempotent(name = "report")
		public String report(String file) {
			return "reported " + file;
		}

		@Idempotent(name = "report-by-id", key = "#id", onDuplicate = dev.idempotent.core.DuplicatePolicy.REJECT)
		public String report(String file, String id) {
			return "reported " + file;
		}

	}

}
