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
package dev.idempotent.client;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.jspecify.annotations.Nullable;

/**
 * A real HTTP server on a free loopback port that records every request it gets and answers each
 * with the next scripted answer, or {@code 200} with a small JSON body once the script is used up.
 */
public final class RecordingServer implements AutoCloseable {

	private final HttpServer server;

	private final ExecutorService executor = Executors.newFixedThreadPool(4);

	private final List<Received> received = new CopyOnWriteArrayList<>();

	private final Queue<Answer> script = new ConcurrentLinkedQueue<>();

	private RecordingServer() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.server.createContext("/", this::handle);
		this.server.setExecutor(this.executor);
		this.server.start();
	}

	public static RecordingServer start() {
		return new RecordingServer();
	}

	/** The next request not yet answered gets this status and headers, with an empty JSON body. */
	public RecordingServer thenAnswer(int status, Map<String, String> headers) {
		this.script.add(new Answer(status, headers));
		return this;
	}

	/** The base URI, without a trailing slash. */
	public String url() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort();
	}

	public URI uri(String path) {
		return URI.create(url() + path);
	}

	/** The requests received so far, in order. */
	public List<Received> received() {
		return List.copyOf(this.received);
	}

	/** The value of {@code header} on each request received so far, {@code null} where it was absent. */
	public List<@Nullable String> headerOfEach(String header) {
		return this.received.stream().map((request) -> request.header(header)).toList();
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			exchange.getRequestBody().readAllBytes();
			Headers headers = new Headers();
			headers.putAll(exchange.getRequestHeaders());
			this.received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), headers));
			Answer answer = this.script.poll();
			int status = (answer != null) ? answer.status() : 200;
			if (answer != null) {
				answer.headers().forEach(exchange.getResponseHeaders()::set);
			}
			byte[] body = "{\"status\":%d}".formatted(status).getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Content-Type", "application/json");
			exchange.sendResponseHeaders(status, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		}
	}

	@Override
	public void close() {
		this.server.stop(0);
		this.executor.shutdownNow();
	}

	/**
	 * One request as the server got it.
	 * @param method the HTTP method
	 * @param path the path
	 * @param headers the headers (names compared without regard to case)
	 */
	public record Received(String method, String path, Headers headers) {

		public @Nullable String header(String name) {
			return this.headers.getFirst(name);
		}

	}

	private record Answer(int status, Map<String, String> headers) {
	}

}
