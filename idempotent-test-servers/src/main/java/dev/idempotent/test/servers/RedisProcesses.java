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
package dev.idempotent.test.servers;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.IntStream;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

import org.springframework.data.redis.connection.RedisNode;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;

/**
 * Real {@code redis-server} processes on loopback, started by the tests themselves: a standalone
 * server, a three-master Cluster and a Sentinel setup (one master, one replica, one sentinel). The
 * binary is, in this order: the path in system property {@value #SERVER_PROPERTY} or environment
 * variable {@value #SERVER_ENV}; a {@code redis-server} on the {@code PATH}; the binary shipped in the
 * embedded-redis jar (6.2). Each setup lives in a temporary directory of its own and is torn down by
 * {@link #close()}, or at the latest when the test JVM exits.
 */
public class RedisProcesses implements AutoCloseable {

	public static final String SERVER_PROPERTY = "idempotent.test.redis.server";

	public static final String SERVER_ENV = "IDEMPOTENT_TEST_REDIS_SERVER";

	private static final Logger logger = LoggerFactory.getLogger(RedisProcesses.class);

	private static final Duration READY = Duration.ofSeconds(30);

	private static final Map<String, File> binary = new ConcurrentHashMap<>();

	private final Path directory;

	private final Map<Integer, Process> processes = new ConcurrentHashMap<>();

	private final Map<Integer, List<String>> commands = new ConcurrentHashMap<>();

	private final Thread shutdownHook = new Thread(this::close, "test-redis-processes-stop");

	protected RedisProcesses(String name) {
		try {
			this.directory = Files.createTempDirectory("idempotent-" + name + "-");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		Runtime.getRuntime().addShutdownHook(this.shutdownHook);
	}

	/** The redis-server binary the tests start. */
	public static File redisServer() {
		return binary.computeIfAbsent("redis-server", (name) -> {
			File chosen = findRedisServer();
			logger.info("Tests start Redis processes from {}", chosen);
			return chosen;
		});
	}

	private static File findRedisServer() {
		String explicit = System.getProperty(SERVER_PROPERTY, System.getenv(SERVER_ENV));
		if (explicit != null && !explicit.isBlank()) {
			return new File(explicit.trim());
		}
		String path = System.getenv("PATH");
		if (path != null) {
			for (String directory : path.split(File.pathSeparator)) {
				File candidate = new File(directory, "redis-server");
				if (candidate.canExecute()) {
					return candidate;
				}
			}
		}
		try {
			return ExecutableProvider.newJarResourceProvider().get();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("No redis-server to start: set " + SERVER_PROPERTY + " or " + SERVER_ENV
					+ " to the path of a redis-server binary (6.2 or newer)", ex);
		}
	}

	/**
	 * Starts a redis-server on loopback, without persistence unless the arguments turn it on (they
	 * come last, so they override the defaults), and waits until it answers.
	 */
	protected void startServer(int port, String... arguments) {
		List<String> command = new ArrayList<>(List.of(redisServer().getAbsolutePath()));
		command.addAll(List.of("--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
				"--appendonly", "no", "--dir", this.directory.toString(), "--logfile",
				this.directory.resolve("redis-" + port + ".log").toString()));
		command.addAll(List.of(arguments));
		this.commands.put(port, command);
		start(port);
	}

	/** Starts a sentinel on the given configuration and waits until it answers. */
	protected void startSentinel(int port, String configuration) {
		Path file = this.directory.resolve("sentinel-" + port + ".conf");
		try {
			Files.writeString(file, configuration + "\nport " + port + "\nbind 127.0.0.1\nlogfile \""
					+ this.directory.resolve("sentinel-" + port + ".log") + "\"\n");
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.commands.put(port, List.of(redisServer().getAbsolutePath(), file.toString(), "--sentinel"));
		start(port);
	}

	/** Starts the process on this port again, as it was first started. */
	public void restart(int port) {
		start(port);
	}

	private void start(int port) {
		ProcessBuilder builder = new ProcessBuilder(this.commands.get(port)).redirectErrorStream(true)
			.redirectOutput(this.directory.resolve("stdout-" + port + ".log").toFile());
		try {
			this.processes.put(port, builder.start());
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start " + builder.command(), ex);
		}
		await("redis on port " + port + " answers PING (logs in " + this.directory + ")", () -> answersPing(port));
	}

	/** Kills the process on this port and waits until it is gone. */
	public void stop(int port) {
		Process process = this.processes.remove(port);
		if (process != null) {
			process.destroyForcibly();
			try {
				process.waitFor();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/** Runs commands against one server. */
	protected static <T> T on(int port, Function<RedisCommands<String, String>, T> action) {
		RedisClient client = RedisClient.create(RedisURI.create("127.0.0.1", port));
		try (StatefulRedisConnection<String, String> connection = client.connect()) {
			return action.apply(connection.sync());
		}
		finally {
			client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
		}
	}

	/** Polls until the condition holds, or fails after a generous time. */
	protected static void await(String what, BooleanSupplier condition) {
		Awaitility.await(what)
			.atMost(READY)
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(50))
			.until(condition::getAsBoolean);
	}

	private static boolean answersPing(int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
			socket.setSoTimeout(1000);
			OutputStream out = socket.getOutputStream();
			out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] reply = in.readNBytes(5);
			// A server with a password answers, refusing the unauthenticated PING: it is up.
			String answer = new String(reply, StandardCharsets.US_ASCII);
			return answer.equals("+PONG") || answer.equals("-NOAU");
		}
		catch (IOException ex) {
			return false;
		}
	}

	@Override
	public void close() {
		for (Integer port : List.copyOf(this.processes.keySet())) {
			stop(port);
		}
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// The JVM is exiting: this is the hook.
		}
	}

	/**
	 * One server of the tests' own, which a test may kill and start again ({@link #stop(int)},
	 * {@link #restart(int)}) without disturbing a Redis other tests share.
	 */
	public static final class Standalone extends RedisProcesses {

		private final int port = TestRedis.freePort();

		/**
		 * Starts the server.
		 * @param arguments settings on top of the defaults, e.g. {@code "--appendonly", "yes"}
		 */
		public Standalone(String... arguments) {
			super("standalone");
			startServer(this.port, arguments);
		}

		public int port() {
			return this.port;
		}

	}

	/** A three-master Redis Cluster, slots split evenly, no replicas. */
	public static final class Cluster extends RedisProcesses {

		private final List<Integer> ports = new ArrayList<>();

		public Cluster() {
			super("cluster");
			for (int i = 0; i < 3; i++) {
				int port = TestRedis.freePort();
				startServer(port, "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf",
						"--cluster-node-timeout", "5000");
				this.ports.add(port);
			}
			int slots = 16384;
			for (int i = 0; i < 3; i++) {
				int from = i * slots / 3;
				int to = (i + 1) * slots / 3;
				int[] range = IntStream.range(from, to).toArray();
				on(this.ports.get(i), (redis) -> redis.clusterAddSlots(range));
			}
			for (int i = 1; i < 3; i++) {
				int other = this.ports.get(i);
				on(this.ports.get(0), (redis) -> redis.clusterMeet("127.0.0.1", other));
			}
			for (int port : this.ports) {
				await("cluster node " + port + " reports cluster_state:ok with 3 nodes", () -> on(port, (redis) -> {
					String info = redis.clusterInfo();
					return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:3");
				}));
			}
		}

		/** The nodes, as {@code host:port}, for {@code spring.data.redis.cluster.nodes}. */
		public List<String> nodes() {
			return this.ports.stream().map((port) -> "127.0.0.1:" + port).toList();
		}

	}

	/** One master, one replica and one sentinel watching them. */
	public static final class Sentinel extends RedisProcesses {

		public static final String MASTER_NAME = "idempotent";

		private final int masterPort = TestRedis.freePort();

		private final int replicaPort = TestRedis.freePort();

		private final int sentinelPort = TestRedis.freePort();

		public Sentinel() {
			super("sentinel");
			startServer(this.masterPort);
			startServer(this.replicaPort, "--replicaof", "127.0.0.1", Integer.toString(this.masterPort));
			awaitReplicaOnline();
			startSentinel(this.sentinelPort, "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + this.masterPort + " 1\n"
					+ "sentinel down-after-milliseconds " + MASTER_NAME + " 60000\n"
					+ "sentinel failover-timeout " + MASTER_NAME + " 60000");
			await("the sentinel names the master", this::sentinelNamesTheMaster);
		}

		private boolean sentinelNamesTheMaster() {
			RedisClient client = RedisClient.create();
			try (StatefulRedisSentinelConnection<String, String> sentinel = client
				.connectSentinel(RedisURI.create("127.0.0.1", this.sentinelPort))) {
				SocketAddress master = sentinel.sync().getMasterAddrByName(MASTER_NAME);
				return master instanceof InetSocketAddress address && address.getPort() == this.masterPort;
			}
			finally {
				client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
			}
		}

		/** Waits until the master sees its replica online. */
		public void awaitReplicaOnline() {
			await("the replica on " + this.replicaPort + " is online", () -> on(this.masterPort, (redis) -> {
				String info = redis.info("replication");
				return info.contains("connected_slaves:1") && info.contains("state=online");
			}));
		}

		/** How Spring Data Redis finds the master: through this setup's sentinel. */
		public RedisSentinelConfiguration configuration() {
			RedisSentinelConfiguration configuration = new RedisSentinelConfiguration().master(MASTER_NAME);
			configuration.addSentinel(new RedisNode("127.0.0.1", sentinelPort()));
			return configuration;
		}

		public int sentinelPort() {
			return this.sentinelPort;
		}

		public int masterPort() {
			return this.masterPort;
		}

		public int replicaPort() {
			return this.replicaPort;
		}

	}

}
