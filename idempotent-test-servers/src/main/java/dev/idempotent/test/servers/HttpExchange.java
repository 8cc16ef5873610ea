package dev.idempotent.test.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Sends a test's request over a real HTTP connection, its body read as text. */
public final class HttpExchange {

	private HttpExchange() {
	}

	/**
	 * @param client the client to send with
	 * @param request the request
	 * @return the response
	 * @throws UncheckedIOException if the exchange failed (a broken connection, say)
	 */
	public static HttpResponse<String> send(HttpClient client, HttpRequest request) {
		try {
			return client.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}
