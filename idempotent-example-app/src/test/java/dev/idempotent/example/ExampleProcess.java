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
package dev.idempotent.example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.TestRedis;
import dev.idempotent.test.servers.example.ExampleHttpClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example service in a JVM of its own (the test's class path), so a test can kill it in the
 * middle of a call as a crash would: no shutdown hook, no finally block, no last write to Redis.
 * Its output goes to {@code target/<name>.log}.
 */
public final class ExampleProcess implements AutoCloseable {

	private final Process process;

	private final int port;

	private final Path log;

	private ExampleProcess(Process process, int port, Path log) {
		this.process = process;
		this.port = port;
		this.log = log;
	}

	/**
	 * Starts the example on a free port and waits until it answers HTTP.
	 * @param name names the log file
	 * @param arguments the example's command-line arguments, e.g. {@code --idempotent.lease=2s}
	 */
	public static ExampleProcess start(String name, String... arguments) throws InterruptedException {
		int port = TestRedis.freePort();
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
				ExampleApplication.class.getName(), "--server.port=" + port));
		command.addAll(List.of(arguments));
		Path log = Path.of("target", name + ".log");
		Process process;
		try {
			process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		ExampleProcess example = new ExampleProcess(process, port, log);
		try {
			example.awaitUp();
		}
		catch (RuntimeException | Error ex) {
			example.close();
			throw ex;
		}
		return example;
	}

	private void awaitUp() {
		ExampleHttpClient http = http();
		// A JVM starting on a busy machine: far more patient than Poll.until.
		Poll.untilStarted("the example process answers (see " + this.log + ")", Duration.ofSeconds(180),
				this.process::isAlive, () -> http.count("alice", "/orders") >= 0);
	}

	/** A client of this process. */
	public ExampleHttpClient http() {
		return new ExampleHttpClient(this.port);
	}

	/** Kills the process at once (SIGKILL on Unix) and waits until it is gone. */
	public void kill() throws InterruptedException {
		this.process.destroyForcibly();
		assertThat(this.process.waitFor(30, TimeUnit.SECONDS)).as("the example process ends when killed").isTrue();
	}

	@Override
	public void close() {
		this.process.destroyForcibly();
	}

}
