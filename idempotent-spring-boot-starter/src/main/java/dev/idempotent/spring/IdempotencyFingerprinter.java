package dev.idempotent.spring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import dev.idempotent.core.Fingerprint;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Computes the fingerprint of a call, which a duplicate must match (else {@code 422}): a SHA-256 over
 * the operation and
 * <ul>
 * <li>for a web handler method: the HTTP method, the request path, the query and form parameters
 * and the body the handler read, with a JSON body in canonical form (keys sorted, no whitespace,
 * numbers compared by value), so a retry that serialises the same request differently still
 * matches;</li>
 * <li>for any other method: its arguments, written as JSON by the application's {@link JsonMapper}
 * and put in the same canonical form; for a message listener, only those that carry the message, not
 * its delivery (the delivery tag, the redelivered flag and other headers).</li>
 * </ul>
 * Define a bean of this type to fingerprint differently.
 */
public class IdempotencyFingerprinter {

	/**
	 * The request attribute under which the body of an {@link Idempotent} handler's
	 * {@code @RequestBody} is kept for its fingerprint.
	 */
	public static final String REQUEST_BODY_ATTRIBUTE = IdempotencyFingerprinter.class.getName() + ".requestBody";

	// Reads request bodies for their canonical form only: numbers as BigDecimal, so 12.50 equals 12.5.
	private static final JsonMapper CANONICAL = JsonMapper.builder()
		.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
		.build();

	private final JsonMapper jsonMapper;

	/**
	 * @param jsonMapper writes the arguments of methods that are not web handlers
	 */
	public IdempotencyFingerprinter(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	/**
	 * The call's fingerprint, or {@code null} when the operation does not compare them.
	 * @throws IllegalStateException if the arguments of a method that is not a web handler cannot be
	 * written as JSON
	 */
	public @Nullable String fingerprint(IdempotentOperation operation, Object[] arguments) {
		if (!operation.fingerprint()) {
			return null;
		}
		Fingerprint digest = new Fingerprint().add(operation.name());
		CurrentHttpExchange.Request request = operation.webHandler() ? CurrentHttpExchange.request() : null;
		if (request != null) {
			digest.add("http").add(request.method()).add(request.path());
			for (Map.Entry<String, String[]> parameter : new TreeMap<>(request.parameters()).entrySet()) {
				digest.add(parameter.getKey()).add(Integer.toString(parameter.getValue().length));
				for (String value : parameter.getValue()) {
					digest.add(value);
				}
			}
			byte[] body = request.body();
			digest.add((body != null) ? canonicalBody(body, request.contentType()) : new byte[0]);
		}
		else {
			JsonNode tree;
			try {
				tree = this.jsonMapper.valueToTree(operation.messageListener()
						? MessageListenerCalls.payloads(operation.method(), arguments) : arguments);
			}
			catch (JacksonException ex) {
				throw new IllegalStateException("@Idempotent on " + operation.method().getDeclaringClass().getName()
						+ "." + operation.method().getName() + " fingerprints its arguments, but they cannot be "
						+ "written as JSON; make them serialisable or set @Idempotent(fingerprint = false)", ex);
			}
			digest.add("arguments").add(canonical(tree));
		}
		return digest.toHex();
	}

	private static byte[] canonicalBody(byte[] body, @Nullable String contentType) {
		if (body.length == 0 || !isJson(contentType)) {
			return body;
		}
		try {
			return canonical(CANONICAL.readTree(body)).getBytes(StandardCharsets.UTF_8);
		}
		catch (JacksonException ex) {
			return body; // Not JSON after all: the bytes as they came.
		}
	}

	private static boolean isJson(@Nullable String contentType) {
		if (contentType == null) {
			return false;
		}
		int parameters = contentType.indexOf(';');
		String type = ((parameters >= 0) ? contentType.substring(0, parameters) : contentType).trim()
			.toLowerCase(Locale.ROOT);
		return type.equals("application/json") || type.endsWith("+json");
	}

	/** The canonical JSON text of a tree: object keys sorted, no whitespace, numbers by value. */
	static String canonical(JsonNode node) {
		StringBuilder text = new StringBuilder();
		write(node, text);
		return text.toString();
	}

	private static void write(JsonNode node, StringBuilder text) {
		if (node.isObject()) {
			List<String> names = new ArrayList<>(node.propertyNames());
			Collections.sort(names);
			text.append('{');
			for (int i = 0; i < names.size(); i++) {
				text.append((i > 0) ? "," : "").append(CANONICAL.writeValueAsString(names.get(i))).append(':');
				write(node.get(names.get(i)), text);
			}
			text.append('}');
		}
		else if (node.isArray()) {
			text.append('[');
			int i = 0;
			for (JsonNode element : node.values()) {
				text.append((i++ > 0) ? "," : "");
				write(element, text);
			}
			text.append(']');
		}
		else if (node.isNumber() && (node.isIntegralNumber() || Double.isFinite(node.doubleValue()))) {
			text.append(node.decimalValue().stripTrailingZeros().toString());
		}
		else {
			text.append(node.toString());
		}
	}

}
