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
package dev.idempotent.test.servers.example;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import dev.idempotent.test.servers.HttpExchange;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP client for an example service (servlet or WebFlux), logging in as one of its demo users
 * ({@code alice}, {@code bob}, {@code admin}: each user's password is its name).
 */
public final class ExampleHttpClient {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final URI base;

	public ExampleHttpClient(int port) {
		this.base = URI.create("http://127.0.0.1:" + port);
	}

	public HttpResponse<String> post(String user, String path, @Nullable String key, String json) {
		return post(user, path, key, "application/json", json);
	}

	public HttpResponse<String> post(String user, String path, @Nullable String key, String contentType, String body) {
		HttpRequest.Builder request = request(user, path).header("Content-Type", contentType)
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (key != null) {
			request.header("Idempotency-Key", key);
		}
		return send(request.build());
	}

	public HttpResponse<String> postWithHeader(String user, String path, String header, String value, String json) {
		return send(request(user, path).header("Content-Type", "application/json")
			.header(header, value)
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build());
	}

	public HttpResponse<String> get(String user, String path) {
		return send(request(user, path).GET().build());
	}

	public HttpResponse<String> delete(String user, String path) {
		return send(request(user, path).DELETE().build());
	}

	public HttpResponse<String> getAnonymously(String path) {
		return send(HttpRequest.newBuilder(this.base.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build());
	}

	public HttpResponse<String> postAnonymously(String path, String key, String json) {
		return send(HttpRequest.newBuilder(this.base.resolve(path))
			.timeout(Duration.ofSeconds(30))
			.header("Content-Type", "application/json")
			.header("Idempotency-Key", key)
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.build());
	}

	/**
	 * Sends the key's UTF-8 bytes exactly as given, which {@link HttpClient} would not (it refuses or
	 * rewrites control and non-ASCII characters in header values).
	 */
	public RawResponse postWithRawKey(String user, String path, String key, String json) {
		String credentials = Base64.getEncoder()
			.encodeToString((user + ":" + user).getBytes(StandardCharsets.UTF_8));
		byte[] body = json.getBytes(StandardCharsets.UTF_8);
		String head = "POST " + path + " HTTP/1.0\r\nHost: " + this.base.getAuthority() + "\r\nAuthorization: Basic "
				+ credentials + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
				+ "\r\nIdempotency-Key: " + key + "\r\n\r\n";
		try (Socket socket = new Socket(this.base.getHost(), this.base.getPort())) {
			socket.setSoTimeout(30_000);
			OutputStream out = socket.getOutputStream();
			out.write(head.getBytes(StandardCharsets.UTF_8));
			out.write(body);
			out.flush();
			String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			int endOfHead = response.indexOf("\r\n\r\n");
			String[] statusLine = response.substring(0, response.indexOf("\r\n")).split(" ");
			return new RawResponse(Integer.parseInt(statusLine[1]), response.substring(0, endOfHead),
					response.substring(endOfHead + 4));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A response read off a raw socket.
	 *
	 * @param status the status code
	 * @param head the status line and headers
	 * @param body the body
	 */
	public record RawResponse(int status, String head, String body) {

		public JsonNode json() {
			return JSON.readTree(this.body);
		}

	}

	/** How many items {@code GET path} lists for the user. */
	public int count(String user, String path) {
		HttpResponse<String> response = get(user, path);
		if (response.statusCode() != 200) {
			throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
		}
		return json(response).size();
	}

	/**
	 * The count of a timer or counter in {@code /actuator/metrics} with the given tags ({@code name:value}),
	 * read as {@code admin}; 0 while it has not been recorded.
	 */
	public double metricCount(String metric, String... tags) {
		StringBuilder path = new StringBuilder("/actuator/metrics/").append(metric);
		for (int i = 0; i < tags.length; i++) {
			path.append((i == 0) ? "?" : "&").append("tag=").append(tags[i]);
		}
		HttpResponse<String> response = get("admin", path.toString());
		if (response.statusCode() == 404) {
			return 0;
		}
		if (response.statusCode() != 200) {
			throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
		}
		for (JsonNode measurement : json(response).get("measurements")) {
			if (measurement.get("statistic").asString().equals("COUNT")) {
				return measurement.get("value").asDouble();
			}
		}
		throw new IllegalStateException("No COUNT in " + response.body());
	}

	public static JsonNode json(HttpResponse<String> response) {
		return JSON.readTree(response.body());
	}

	private HttpRequest.Builder request(String user, String path) {
		String credentials = Base64.getEncoder()
			.encodeToString((user + ":" + user).getBytes(StandardCharsets.UTF_8));
		return HttpRequest.newBuilder(this.base.resolve(path))
			.timeout(Duration.ofSeconds(30))
			.header("Authorization", "Basic " + credentials);
	}

	private HttpResponse<String> send(HttpRequest request) {
		return HttpExchange.send(this.client, request);
	}

}
