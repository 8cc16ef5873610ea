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
package dev.idempotent.spring.interceptor;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import dev.idempotent.core.Fingerprint;
import dev.idempotent.spring.Idempotent;
import dev.idempotent.spring.transport.FingerprintInputs;
import dev.idempotent.spring.transport.IdempotencyOperation;
import dev.idempotent.spring.transport.IdempotencyTransport;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Computes the fingerprint of a call, which a duplicate must match (else {@code 422}): a SHA-256 over
 * the operation and what its {@link IdempotencyTransport} says identifies the request. For a web
 * handler method that is the HTTP method, the request path, the query and form parameters and the
 * body the handler read; for any other method, its arguments (for a message listener, only those that
 * carry the message, not its delivery). Bodies and arguments are compared in canonical JSON (keys
 * sorted, no whitespace, numbers by value), so a retry that serialises the same request differently
 * still matches. Define a bean of this type to fingerprint differently.
 */
public class IdempotencyFingerprinter {

	// Reads request bodies for their canonical form only: numbers as BigDecimal, so 12.50 equals 12.5.
	private static final JsonMapper CANONICAL = JsonMapper.builder()
		.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
		.build();

	private static final char[] UPPER_HEX = "0123456789ABCDEF".toCharArray();

	private final JsonMapper jsonMapper;

	/**
	 * @param jsonMapper writes arguments as JSON
	 */
	public IdempotencyFingerprinter(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	/**
	 * The call's fingerprint, or {@code null} when the operation does not compare them.
	 * @throws IllegalStateException if arguments that the fingerprint covers cannot be written as JSON
	 */
	public @Nullable String fingerprint(IdempotencyOperation operation, Object[] arguments) {
		if (!operation.fingerprint()) {
			return null;
		}
		Inputs inputs = new Inputs(operation.method());
		inputs.text(operation.name());
		operation.transport().fingerprint(operation.method(), arguments, inputs);
		return inputs.digest.toHex();
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
				text.append((i > 0) ? "," : "");
				writeString(names.get(i), text);
				text.append(':');
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
		else if (node.isString()) {
			writeString(node.stringValue(), text);
		}
		else if ((node.isInt() || node.isLong()) && hasNoTrailingZero(node.longValue())) {
			// What the BigDecimal below would write, without making one.
			text.append(node.longValue());
		}
		else if (node.isNumber() && (node.isIntegralNumber() || Double.isFinite(node.doubleValue()))) {
			text.append(node.decimalValue().stripTrailingZeros().toString());
		}
		else if (node.isBoolean()) {
			text.append(node.booleanValue());
		}
		else if (node.isNull()) {
			text.append("null");
		}
		else {
			text.append(node.toString());
		}
	}

	// Whether a whole number keeps its plain form when its trailing zeros are stripped (100 becomes 1E+2).
	private static boolean hasNoTrailingZero(long value) {
		return value == 0 || value % 10 != 0;
	}

	/**
	 * A string as Jackson writes it by default, character for character, without a generator: quoted,
	 * with the quote and the backslash escaped, the control characters as short escapes (a newline as
	 * backslash-n) or as backslash-u escapes in upper-case hex, everything else as it is. Fingerprints
	 * stored before must still match.
	 */
	static void writeString(String value, StringBuilder text) {
		text.append('"');
		int length = value.length();
		for (int i = 0; i < length; i++) {
			char c = value.charAt(i);
			if (c >= 0x20 && c != '"' && c != '\\') {
				text.append(c);
				continue;
			}
			text.append('\\');
			switch (c) {
				case '"', '\\' -> text.append(c);
				case '\b' -> text.append('b');
				case '\t' -> text.append('t');
				case '\n' -> text.append('n');
				case '\f' -> text.append('f');
				case '\r' -> text.append('r');
				default -> text.append("u00").append(UPPER_HEX[c >> 4]).append(UPPER_HEX[c & 0xF]);
			}
		}
		text.append('"');
	}

	private final class Inputs implements FingerprintInputs {

		private final Fingerprint digest = new Fingerprint();

		private final Method method;

		Inputs(Method method) {
			this.method = method;
		}

		@Override
		public FingerprintInputs text(String text) {
			this.digest.add(text);
			return this;
		}

		@Override
		public FingerprintInputs body(byte @Nullable [] body, @Nullable String contentType) {
			this.digest.add((body != null) ? canonicalBody(body, contentType) : new byte[0]);
			return this;
		}

		@Override
		public FingerprintInputs values(@Nullable Object values) {
			JsonNode tree;
			try {
				tree = IdempotencyFingerprinter.this.jsonMapper.valueToTree(values);
			}
			catch (JacksonException ex) {
				throw new IllegalStateException("@Idempotent on " + this.method.getDeclaringClass().getName() + "."
						+ this.method.getName() + " fingerprints its arguments, but they cannot be written as JSON; "
						+ "make them serialisable or set @Idempotent(fingerprint = false)", ex);
			}
			this.digest.add(canonical(tree));
			return this;
		}

	}

}
