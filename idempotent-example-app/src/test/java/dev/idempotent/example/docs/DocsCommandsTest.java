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
package dev.idempotent.example.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.idempotent.example.ExampleRedis;
import dev.idempotent.test.Poll;
import dev.idempotent.test.servers.RepositoryFiles;
import dev.idempotent.test.servers.example.ExampleHttpClient;
import org.assertj.core.api.SoftAssertions;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the documentation from drifting away from the code. Every {@code bash}, {@code sh}, {@code shell}
 * or {@code console} block in {@code README.md} and {@code docs/} is one of:
 * <ul>
 * <li>a <b>curl session</b> against the example at {@code http://localhost:8080}: run here, with
 * {@code bash}, against the example started on a random port on the test Redis. Each {@code curl -i}
 * must end with a comment stating the status the reader will see ({@code # 201}), which is asserted,
 * as are an {@code Idempotent-Replayed: true} and a problem type ({@code # 409 duplicate-request}) the
 * comment names. The keys in the block get a suffix of this run, so runs never meet each other's
 * records;</li>
 * <li>an <b>example start</b>: {@code java -jar idempotent-example-app/target/idempotent-example-app.jar}
 * with arguments, then optionally a curl session. The jar is built by the README's own start command in
 * a copy of the source tree, and each start runs on a free port, pointed at this machine's test servers
 * where the page names the usual local ones;</li>
 * <li>preceded by {@code <!-- verified-by: path, path -->}: every command in the block must appear in
 * one of the named files (whitespace, line continuations and Maven's {@code -B} aside), or be the
 * named file itself (a script, which must then be executable).</li>
 * </ul>
 * Any other shell block fails the test, naming its page and line. Every relative link between the pages
 * must resolve to a file.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class DocsCommandsTest {

	/**
	 * The README's start command, run literally by {@link #exampleStarts()}: the README's first block
	 * names this file as what runs it, so the two cannot part.
	 */
	// On one line: the README names this file as what runs its first block, and the check reads the text.
	static final String START_EXAMPLE = "mvn -q -DskipTests package && java -jar idempotent-example-app/target/idempotent-example-app.jar";

	/** The README's start command of the WebFlux example, on the jar built by the first; see {@link #exampleStarts()}. */
	static final String START_WEBFLUX_EXAMPLE = "java -jar idempotent-example-webflux/target/idempotent-example-webflux.jar";

	/** Lists the benchmarks of the jar the start command builds; run by {@link #exampleStarts()}. */
	static final String LIST_BENCHMARKS = "java -jar idempotent-benchmarks/target/benchmarks.jar -l";

	private static final String EXAMPLE_JAR = "java -jar idempotent-example-app/target/idempotent-example-app.jar";

	private static final String EXAMPLE_URL = "http://localhost:8080";

	/** Appended to every key a page shows, so that reruns and parallel builds start from fresh records. */
	private static final String RUN = "docs-" + UUID.randomUUID().toString().substring(0, 8);

	private static final Path ROOT = RepositoryFiles.root();

	private static final List<Block> BLOCKS = shellBlocks();

	/** The source tree copy the start command built, shared by the example starts. */
	private static @Nullable Path builtCopy;

	@DynamicPropertySource
	static void redis(DynamicPropertyRegistry registry) {
		ExampleRedis.register(registry, RUN + ":");
	}

	@LocalServerPort
	private int port;

	@AfterAll
	static void deleteCopy() throws IOException {
		if (builtCopy != null) {
			deleteTree(builtCopy);
		}
	}

	@Test
	void everyShellBlockIsRunHereOrNamesWhatRunsIt() {
		assertThat(BLOCKS).as("shell blocks in README.md and docs/").isNotEmpty();
		List<String> unverified = BLOCKS.stream()
			.filter((block) -> block.kind() == Kind.UNVERIFIED)
			.map((block) -> block.where() + ": " + block.commands().get(0).code())
			.toList();
		assertThat(unverified)
			.as("shell blocks neither run here (a curl session against " + EXAMPLE_URL
					+ ", or an example start) nor preceded by <!-- verified-by: file -->")
			.isEmpty();
	}

	@Test
	void theReadmeOpensWithItsStartCommandsAndTheTests() {
		Block first = BLOCKS.stream()
			.filter((block) -> block.page().equals(ROOT.resolve("README.md")))
			.findFirst()
			.orElseThrow();
		assertThat(first.commands()).extracting(Command::code).containsExactly(START_EXAMPLE, START_WEBFLUX_EXAMPLE,
				"mvn verify");
		assertThat(first.verifiedBy()).contains(".ci/run");
	}

	@TestFactory
	Stream<DynamicTest> curlSessions() {
		return BLOCKS.stream()
			.filter((block) -> block.kind() == Kind.CURL_SESSION)
			.map((block) -> DynamicTest.dynamicTest(block.where(),
					() -> runSession(block, block.commands(), this.port, ROOT)));
	}

	@TestFactory
	Stream<DynamicTest> verifiedByFiles() {
		return BLOCKS.stream()
			.filter((block) -> block.kind() == Kind.VERIFIED_BY)
			.map((block) -> DynamicTest.dynamicTest(block.where(), () -> assertVerifiedBy(block)));
	}

	/**
	 * The README's start command, literally, in a copy of the source tree (so the build never touches the
	 * tree this test runs from), then every example start the pages show, on the jar it built.
	 */
	@TestFactory
	Stream<DynamicTest> exampleStarts() {
		Stream<DynamicTest> readme = Stream.of(DynamicTest.dynamicTest("README.md start command", () -> {
			Path copy = copyOfSourceTree();
			int port = freePort();
			try (Started example = start(copy, START_EXAMPLE + " --server.port=" + port, port,
					Duration.ofMinutes(15))) {
				builtCopy = copy;
				assertOrderReplaysOnItsOwnRedis(example, port, "readme-" + RUN);
			}
		}));
		Stream<DynamicTest> webflux = Stream.of(DynamicTest.dynamicTest("README.md WebFlux start command", () -> {
			Path copy = requireBuilt();
			int port = freePort();
			try (Started example = start(copy, START_WEBFLUX_EXAMPLE + " --server.port=" + port, port,
					Duration.ofMinutes(3))) {
				assertOrderReplaysOnItsOwnRedis(example, port, "readme-webflux-" + RUN);
			}
		}));
		Stream<DynamicTest> benchmarks = Stream.of(DynamicTest.dynamicTest("benchmarks jar lists its benchmarks", () -> {
			Path copy = requireBuilt();
			Run listed = bash(copy, LIST_BENCHMARKS, Map.of(), Duration.ofMinutes(2));
			assertThat(listed.exitCode()).as(listed.describe()).isZero();
			String performance = Files.readString(ROOT.resolve("docs/performance.md"));
			Matcher benchmark = Pattern.compile("^\\| `(\\w+)`(?:, `(\\w+)`)? \\|", Pattern.MULTILINE)
				.matcher(performance);
			List<String> documented = new ArrayList<>();
			while (benchmark.find()) {
				documented.add(benchmark.group(1));
				if (benchmark.group(2) != null) {
					documented.add(benchmark.group(2));
				}
			}
			assertThat(documented).as("benchmarks named in docs/performance.md").isNotEmpty();
			for (String name : documented) {
				assertThat(listed.stdout()).as("the jar has the benchmark docs/performance.md names")
					.contains("IdempotencyBenchmarks." + name + "\n");
			}
		}));
		Stream<DynamicTest> starts = BLOCKS.stream()
			.filter((block) -> block.kind() == Kind.EXAMPLE_START)
			.map((block) -> DynamicTest.dynamicTest(block.where(), () -> {
				Path copy = requireBuilt();
				int port = freePort();
				String command = withTestServers(unique(block, block.commands().get(0).code())) + " --server.port="
						+ port;
				try (Started example = start(copy, command, port, Duration.ofMinutes(3))) {
					runSession(block, block.commands().subList(1, block.commands().size()), port, copy);
				}
			}));
		return Stream.of(readme, webflux, benchmarks, starts).flatMap((tests) -> tests);
	}

	/** With nothing configured, an example runs on a Redis of its own, as the README says, and replays. */
	private static void assertOrderReplaysOnItsOwnRedis(Started example, int port, String key) {
		assertThat(example.log()).contains("started an embedded redis-server on 127.0.0.1:");
		ExampleHttpClient http = new ExampleHttpClient(port);
		String order = "{\"sku\":\"book\",\"quantity\":1}";
		HttpResponse<String> first = http.post("alice", "/orders", key, order);
		HttpResponse<String> retry = http.post("alice", "/orders", key, order);
		assertThat(first.statusCode()).isEqualTo(201);
		assertThat(retry.statusCode()).isEqualTo(201);
		assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
		assertThat(retry.body()).isEqualTo(first.body());
	}

	@Test
	void relativeLinksResolve() throws IOException {
		Pattern link = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
		List<String> broken = new ArrayList<>();
		for (Path page : pages()) {
			String[] lines = Files.readString(page).split("\n", -1);
			boolean inFence = false;
			for (int i = 0; i < lines.length; i++) {
				if (lines[i].trim().startsWith("```")) {
					inFence = !inFence;
					continue;
				}
				if (inFence) {
					continue;
				}
				Matcher matcher = link.matcher(lines[i].replaceAll("`[^`]*`", ""));
				while (matcher.find()) {
					String target = matcher.group(1);
					if (target.matches("^[a-z][a-z0-9+.-]*:.*") || target.startsWith("#")) {
						continue; // A web address or an anchor on the same page.
					}
					String file = target.replaceFirst("#.*$", "");
					if (!Files.exists(page.getParent().resolve(file).normalize())) {
						broken.add(ROOT.relativize(page) + ":" + (i + 1) + ": " + target);
					}
				}
			}
		}
		assertThat(pages()).as("pages").contains(ROOT.resolve("docs/README.md"));
		assertThat(broken).as("relative links to files that do not exist").isEmpty();
	}

	// Running a session.

	/**
	 * Runs the commands as one bash script (so variables carry from one command to the next) against
	 * the example on the port, and asserts each {@code curl -i}'s answer against its comment.
	 */
	private static void runSession(Block block, List<Command> commands, int port, Path directory) {
		StringBuilder script = new StringBuilder();
		for (Command command : commands) {
			script.append(command.raw()).append('\n').append("printf '\\n").append(END).append("\\n'\n");
		}
		String text = unique(block, script.toString()).replace("localhost:8080", "localhost:" + port);
		Run run = bash(directory, text, Map.of(), Duration.ofMinutes(2));
		assertThat(run.exitCode()).as("%s: the session runs to its end%n%s", block.where(), run.describe()).isZero();
		String[] answers = run.stdout().split("\n" + Pattern.quote(END) + "\n", -1);
		SoftAssertions softly = new SoftAssertions();
		for (int i = 0; i < commands.size(); i++) {
			Command command = commands.get(i);
			if (!command.includesHead()) {
				continue;
			}
			String where = ROOT.relativize(block.page()) + ":" + command.line() + ": " + command.code();
			Matcher stated = Pattern.compile("^(\\d{3})\\b\\s*([a-z]+(?:-[a-z]+)+)?").matcher(command.comment());
			if (!stated.find()) {
				softly.fail("%s: a curl -i must end with a comment stating the status, e.g. '# 201'", where);
				continue;
			}
			String answer = answers[i];
			Matcher status = Pattern.compile("(?m)^HTTP/[\\d.]+ (\\d{3})").matcher(answer);
			String last = null;
			while (status.find()) {
				last = status.group(1);
			}
			softly.assertThat(last).as("%s: status%n%s", where, answer).isEqualTo(stated.group(1));
			if (command.comment().contains("Idempotent-Replayed: true")) {
				softly.assertThat(answer.toLowerCase()).as("%s: replayed%n%s", where, answer)
					.contains("idempotent-replayed: true");
			}
			if (command.comment().contains("not replayed")) {
				softly.assertThat(answer.toLowerCase()).as("%s: not replayed%n%s", where, answer)
					.doesNotContain("idempotent-replayed:");
			}
			if (stated.group(2) != null) {
				softly.assertThat(answer).as("%s: problem type%n%s", where, answer)
					.contains(":problem:" + stated.group(2) + "\"");
			}
		}
		softly.assertAll();
	}

	private static final String END = "@@end-of-command@@";

	/** The keys a block shows, each with this run's suffix, so a rerun never replays an earlier run. */
	private static String unique(Block block, String text) {
		Set<String> keys = new LinkedHashSet<>();
		Matcher matcher = Pattern
			.compile("Idempotency-Key: ([A-Za-z0-9][A-Za-z0-9._-]*)|\\\\?\"paymentId\\\\?\":\\s*\\\\?\"([^\"\\\\]+)")
			.matcher(block.text());
		while (matcher.find()) {
			keys.add((matcher.group(1) != null) ? matcher.group(1) : matcher.group(2));
		}
		String result = text;
		for (String key : keys) {
			result = result.replaceAll("(?<![A-Za-z0-9_-])" + Pattern.quote(key) + "(?![A-Za-z0-9_-])",
					Matcher.quoteReplacement(key + "-" + RUN));
		}
		return result;
	}

	/**
	 * Points an example start at the servers this machine's tests use, where a page names the usual
	 * local ones (the test set-up may have moved them).
	 */
	private static String withTestServers(String command) {
		String result = command;
		String postgres = System.getenv("IDEMPOTENT_TEST_POSTGRES_URL");
		if (postgres != null) {
			result = result.replace("jdbc:postgresql://localhost:5432/test?user=postgres&password=postgres", postgres);
		}
		String rabbit = System.getenv("IDEMPOTENT_TEST_RABBITMQ_URL");
		if (rabbit != null) {
			// The host stays: the example's consumer is on when it is set. Addresses win over host and port.
			result = result.replace("--spring.rabbitmq.host=localhost",
					"--spring.rabbitmq.host=localhost --spring.rabbitmq.addresses=" + rabbit);
		}
		return result;
	}

	// Checking a verified-by marker.

	private static void assertVerifiedBy(Block block) throws IOException {
		SoftAssertions softly = new SoftAssertions();
		Map<String, String> files = new LinkedHashMap<>();
		for (String name : block.verifiedBy()) {
			Path file = ROOT.resolve(name);
			softly.assertThat(file).as("%s: verified-by names a file", block.where()).isRegularFile();
			if (Files.isRegularFile(file)) {
				files.put(name, normalise(Files.readString(file)));
			}
		}
		for (Command command : block.commands()) {
			String code = normalise(command.code());
			String program = code.replaceFirst("^(\\w+=\\S*\\s+)*", "").split(" ")[0];
			if (files.containsKey(program)) {
				// The command is the script the marker names.
				softly.assertThat(Files.isExecutable(ROOT.resolve(program)))
					.as("%s: %s is executable", block.where(), program)
					.isTrue();
				continue;
			}
			boolean found = files.values().stream().anyMatch((text) -> containsCommand(text, code));
			softly.assertThat(found)
				.as("%s:%d: '%s' appears in one of %s", ROOT.relativize(block.page()), command.line(), code,
						files.keySet())
				.isTrue();
		}
		softly.assertAll();
	}

	private static boolean containsCommand(String text, String command) {
		return Pattern.compile("(?<![\\w-])" + Pattern.quote(command) + "(?![\\w-])").matcher(text).find();
	}

	/** Whitespace, line continuations and Maven's batch mode (output only) do not change a command. */
	private static String normalise(String text) {
		return Arrays.stream(text.replace("\\\n", " ").split("\\s+"))
			.filter((word) -> !word.equals("-B") && !word.equals("--batch-mode"))
			.collect(Collectors.joining(" "))
			.trim();
	}

	// Reading the pages.

	private static List<Path> pages() {
		try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
			List<Path> pages = new ArrayList<>();
			pages.add(ROOT.resolve("README.md"));
			docs.filter((path) -> path.toString().endsWith(".md")).sorted().forEach(pages::add);
			return pages;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static List<Block> shellBlocks() {
		Pattern fence = Pattern.compile("^\\s*```\\s*(\\w*)\\s*$");
		Pattern marker = Pattern.compile("^\\s*<!--\\s*verified-by:\\s*(.+?)\\s*-->\\s*$");
		List<Block> blocks = new ArrayList<>();
		for (Path page : pages()) {
			List<String> lines;
			try {
				lines = Files.readAllLines(page);
			}
			catch (IOException ex) {
				throw new UncheckedIOException(ex);
			}
			for (int i = 0; i < lines.size(); i++) {
				Matcher open = fence.matcher(lines.get(i));
				if (!open.matches()) {
					continue;
				}
				int start = i;
				int end = i + 1;
				while (end < lines.size() && !lines.get(end).trim().equals("```")) {
					end++;
				}
				i = end;
				if (!Set.of("bash", "sh", "shell", "console").contains(open.group(1))) {
					continue;
				}
				List<String> verifiedBy = List.of();
				int before = start - 1;
				while (before >= 0 && lines.get(before).isBlank()) {
					before--;
				}
				if (before >= 0) {
					Matcher named = marker.matcher(lines.get(before));
					if (named.matches()) {
						verifiedBy = Arrays.stream(named.group(1).split(",")).map(String::trim).toList();
					}
				}
				List<String> body = lines.subList(start + 1, Math.min(end, lines.size()));
				blocks.add(new Block(page, start + 1, String.join("\n", body), commands(body, start + 2),
						verifiedBy));
			}
		}
		return blocks;
	}

	/** The commands of a block: comment lines dropped, continued lines joined, trailing comments kept apart. */
	private static List<Command> commands(List<String> lines, int firstLine) {
		List<Command> commands = new ArrayList<>();
		StringBuilder raw = new StringBuilder();
		StringBuilder code = new StringBuilder();
		int line = -1;
		for (int i = 0; i < lines.size(); i++) {
			String text = lines.get(i);
			if (code.length() == 0 && (text.isBlank() || text.trim().startsWith("#"))) {
				continue;
			}
			if (line < 0) {
				line = firstLine + i;
			}
			int comment = commentStart(text);
			String part = ((comment >= 0) ? text.substring(0, comment) : text).stripTrailing();
			raw.append(text).append('\n');
			if (part.endsWith("\\")) {
				code.append(part, 0, part.length() - 1).append(' ');
				continue;
			}
			code.append(part);
			String trailing = (comment >= 0) ? text.substring(comment + 1).trim() : "";
			commands.add(new Command(line, raw.toString().stripTrailing(), normalise(code.toString()), trailing));
			raw.setLength(0);
			code.setLength(0);
			line = -1;
		}
		return commands;
	}

	/** Where a line's comment begins: a # at the start or after a blank, outside quotes; -1 for none. */
	private static int commentStart(String line) {
		char quote = 0;
		for (int i = 0; i < line.length(); i++) {
			char c = line.charAt(i);
			if (quote != 0) {
				if (c == quote) {
					quote = 0;
				}
				else if (c == '\\' && quote == '"') {
					i++;
				}
			}
			else if (c == '\'' || c == '"') {
				quote = c;
			}
			else if (c == '\\') {
				i++;
			}
			else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
				return i;
			}
		}
		return -1;
	}

	// Processes.

	private static Run bash(Path directory, String script, Map<String, String> environment, Duration timeout) {
		try {
			Path out = Files.createTempFile("docs-command", ".out");
			Path err = Files.createTempFile("docs-command", ".err");
			try {
				ProcessBuilder builder = new ProcessBuilder("bash", "-c", "set -eo pipefail\n" + script)
					.directory(directory.toFile())
					.redirectOutput(out.toFile())
					.redirectError(err.toFile());
				builder.environment().putAll(environment);
				Process process = builder.start();
				if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
					stop(process);
					throw new AssertionError("Did not end within " + timeout + ":\n" + script);
				}
				return new Run(script, process.exitValue(), Files.readString(out), Files.readString(err));
			}
			finally {
				Files.deleteIfExists(out);
				Files.deleteIfExists(err);
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Starts a command that runs the example, and waits until it answers HTTP on the port. */
	private static Started start(Path directory, String command, int port, Duration patience) throws Exception {
		Path log = Files.createTempFile("docs-example", ".log");
		ProcessBuilder builder = new ProcessBuilder("bash", "-c", command).directory(directory.toFile())
			.redirectErrorStream(true)
			.redirectOutput(log.toFile());
		propagateMavenRepository(builder);
		Started started = new Started(builder.start(), log, command);
		try {
			HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
			HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
				.timeout(Duration.ofSeconds(5))
				.build();
			try {
				Poll.untilStarted("'" + command + "' answers on port " + port, patience, started.process()::isAlive,
						() -> client.send(health, HttpResponse.BodyHandlers.discarding()) != null);
			}
			catch (ConditionTimeoutException | TerminalFailureException ex) {
				throw new AssertionError(ex.getMessage() + System.lineSeparator() + started.log(), ex);
			}
			return started;
		}
		catch (Exception | AssertionError ex) {
			started.close();
			throw ex;
		}
	}

	/** A nested build uses the Maven repository this build was told to use, so it finds what is there. */
	private static void propagateMavenRepository(ProcessBuilder builder) {
		String repository = System.getProperty("maven.repo.local");
		if (repository != null) {
			String options = builder.environment().getOrDefault("MAVEN_OPTS", "");
			builder.environment().put("MAVEN_OPTS", (options + " -Dmaven.repo.local=" + repository).trim());
		}
	}

	private static void stop(Process process) throws InterruptedException {
		// SIGTERM first: the example then stops the redis-server it started.
		List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
		all.add(process.toHandle());
		all.forEach(ProcessHandle::destroy);
		for (ProcessHandle handle : all) {
			try {
				handle.onExit().get(30, TimeUnit.SECONDS);
			}
			catch (Exception ex) {
				handle.destroyForcibly();
			}
		}
	}

	private static Path requireBuilt() {
		assertThat(builtCopy).as("the README's start command built the example (see the test before)").isNotNull();
		return builtCopy;
	}

	private static Path copyOfSourceTree() throws IOException {
		Path copy = Files.createTempDirectory("idempotent-docs-");
		Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {

			@Override
			public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
				String name = dir.getFileName().toString();
				if (!dir.equals(ROOT) && (name.equals("target") || name.equals(".git") || name.equals(".idea"))) {
					return FileVisitResult.SKIP_SUBTREE;
				}
				Files.createDirectories(copy.resolve(ROOT.relativize(dir).toString()));
				return FileVisitResult.CONTINUE;
			}

			@Override
			public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
				if (!file.getFileName().toString().equals(".git")) {
					Files.copy(file, copy.resolve(ROOT.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
				}
				return FileVisitResult.CONTINUE;
			}

		});
		return copy;
	}

	private static void deleteTree(Path root) throws IOException {
		try (Stream<Path> paths = Files.walk(root)) {
			for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
				Files.deleteIfExists(path);
			}
		}
	}

	private static int freePort() throws IOException {
		try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	// The model.

	enum Kind {

		CURL_SESSION, EXAMPLE_START, VERIFIED_BY, UNVERIFIED

	}

	/**
	 * A shell block.
	 *
	 * @param page the page
	 * @param line the line of its opening fence
	 * @param text its text
	 * @param commands its commands
	 * @param verifiedBy the files its marker names
	 */
	record Block(Path page, int line, String text, List<Command> commands, List<String> verifiedBy) {

		String where() {
			return ROOT.relativize(this.page) + ":" + this.line;
		}

		Kind kind() {
			if (!this.verifiedBy.isEmpty()) {
				return Kind.VERIFIED_BY;
			}
			if (this.commands.isEmpty()) {
				return Kind.UNVERIFIED;
			}
			if (this.commands.get(0).code().startsWith(EXAMPLE_JAR)
					&& this.commands.stream().skip(1).allMatch(Command::isExampleCurl)) {
				return Kind.EXAMPLE_START;
			}
			return this.commands.stream().allMatch(Command::isExampleCurl) ? Kind.CURL_SESSION : Kind.UNVERIFIED;
		}

	}

	/**
	 * One command of a block.
	 *
	 * @param line the line it starts on
	 * @param raw its lines as the page shows them
	 * @param code the command without comments, on one line
	 * @param comment its trailing comment, without the #
	 */
	record Command(int line, String raw, String code, String comment) {

		/** A curl against the example, or a variable set from one. */
		boolean isExampleCurl() {
			return this.code.matches("^(\\w+=\\$\\()?curl .*") && this.code.contains(EXAMPLE_URL);
		}

		boolean includesHead() {
			return this.code.startsWith("curl ") && this.code.matches(".*\\s(-i|--include)(\\s.*|$)");
		}

	}

	/**
	 * A process's run.
	 *
	 * @param script what ran
	 * @param exitCode its exit code
	 * @param stdout its output
	 * @param stderr its errors
	 */
	record Run(String script, int exitCode, String stdout, String stderr) {

		String describe() {
			return "script:\n" + this.script + "\nexit code " + this.exitCode + "\nstdout:\n" + this.stdout
					+ "\nstderr:\n" + this.stderr;
		}

	}

	/** A started example, stopped on close. */
	record Started(Process process, Path logFile, String command) implements AutoCloseable {

		String log() {
			try {
				return Files.readString(this.logFile, StandardCharsets.UTF_8);
			}
			catch (IOException ex) {
				return "(no log: " + ex + ")";
			}
		}

		@Override
		public void close() throws InterruptedException, IOException {
			stop(this.process);
			Files.deleteIfExists(this.logFile);
		}

	}

}
