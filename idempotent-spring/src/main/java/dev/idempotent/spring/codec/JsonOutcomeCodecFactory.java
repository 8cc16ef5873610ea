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
package dev.idempotent.spring.codec;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import dev.idempotent.core.ExceptionPolicy;
import dev.idempotent.core.Outcome;
import dev.idempotent.core.OutcomeCodec;
import dev.idempotent.spring.Idempotent;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.core.ResolvableType;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Makes the {@link OutcomeCodec} of a method: its return value as JSON, through the application's
 * {@link JsonMapper}, read back with the method's declared generic return type. A
 * {@code ResponseEntity} keeps its status and headers too, so a replay answers exactly as the first
 * call did. A Spring Data {@code Page} is rebuilt as a {@code PageImpl} with its content, page request,
 * sort and total. No Java serialization anywhere.
 * <p>
 * Stored form: {@code {"value": ...}} for plain results, {@code {"status": 201, "headers": {...},
 * "body": ...}} for a {@code ResponseEntity}, {@code {"failure": {"type": ..., "message": ...,
 * "fields": {...}}}} for a kept failure and {@code {"unavailable": reason}} for an outcome not kept. A
 * kept failure comes back as it was thrown: its class, its message and its own fields, without any
 * constructor of its class running again (see {@link #canRebuild(Class)}); its cause and stack trace
 * are not kept. A failure is rebuilt only if its type is one the method keeps
 * ({@link Idempotent#keepOn()}), so a stored record can never make the application instantiate a class
 * of its choosing, and its fields are read with their declared types.
 */
public class JsonOutcomeCodecFactory {

	private static final boolean WEB_PRESENT = ClassUtils.isPresent("org.springframework.http.ResponseEntity",
			JsonOutcomeCodecFactory.class.getClassLoader());

	private static final boolean PAGE_PRESENT = ClassUtils.isPresent("org.springframework.data.domain.PageImpl",
			JsonOutcomeCodecFactory.class.getClassLoader());

	private final JsonMapper jsonMapper;

	// The constructors that allocate kept failures for their duplicates, made once per class.
	private final Map<Class<?>, Constructor<?>> allocators = KeptFailures.allocatorCache();

	public JsonOutcomeCodecFactory(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	/** The codec for a method's declared return type, which rebuilds the failures the policy keeps. */
	public OutcomeCodec<Object> forMethod(Method method, ExceptionPolicy exceptions) {
		return forType(ResolvableType.forMethodReturnType(method), exceptions,
				method.getDeclaringClass().getClassLoader());
	}

	/**
	 * The codec for values of a type, which rebuilds the failures the policy keeps.
	 * @param type the type of the values, as a duplicate reads them back
	 * @param exceptions which failures are kept, and so rebuilt
	 * @param classLoader loads the kept failures' classes
	 */
	public OutcomeCodec<Object> forType(ResolvableType type, ExceptionPolicy exceptions,
			@Nullable ClassLoader classLoader) {
		ResolvableType returnType = type;
		KeptFailures failures = new KeptFailures(this.jsonMapper, exceptions.keepOn(), classLoader,
				this.allocators);
		if (WEB_PRESENT && ResponseEntity.class.isAssignableFrom(returnType.toClass())) {
			ResolvableType bodyType = returnType.as(ResponseEntity.class).getGeneric(0);
			return new ResponseEntityCodec(this.jsonMapper, failures, values(bodyType));
		}
		return new ValueCodec(this.jsonMapper, failures, values(returnType));
	}

	private Values values(ResolvableType type) {
		if (PAGE_PRESENT && Pages.isPage(type)) {
			return Pages.values(this.jsonMapper, javaType(Pages.elementType(type)));
		}
		JavaType javaType = javaType(type);
		JsonMapper mapper = this.jsonMapper;
		// As valueToTree and treeToValue did: a value is never wrapped in a root name here.
		ObjectWriter writer = mapper.writer().without(SerializationFeature.WRAP_ROOT_VALUE);
		ObjectReader reader = mapper.readerFor(javaType)
			.without(DeserializationFeature.UNWRAP_ROOT_VALUE, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
		return new Values() {

			@Override
			public JsonNode write(@Nullable Object value) {
				return mapper.valueToTree(value);
			}

			@Override
			public @Nullable Object read(JsonNode stored) {
				return stored.isNull() ? null : mapper.treeToValue(stored, javaType);
			}

			@Override
			public String writeText(@Nullable Object value) {
				return writer.writeValueAsString(value);
			}

			@Override
			public boolean readsText() {
				return true;
			}

			@Override
			public @Nullable Object read(JsonParser parser) {
				return parser.hasToken(JsonToken.VALUE_NULL) ? null : reader.readValue(parser);
			}

		};
	}

	private JavaType javaType(ResolvableType type) {
		// ResponseEntity<?> and unresolvable type variables are read back as plain JSON values.
		boolean open = type.getType() instanceof WildcardType || type.resolve() == null;
		return this.jsonMapper.getTypeFactory().constructType(open ? Object.class : type.getType());
	}

	/**
	 * Writes values of one declared type as JSON and reads them back as that type: through a tree, or
	 * (when {@link #readsText()}) straight from and to the text, which is the same JSON at a fraction of
	 * the cost.
	 */
	private interface Values {

		JsonNode write(@Nullable Object value);

		@Nullable Object read(JsonNode stored);

		/** The value as JSON text, as {@link #write} would give it. */
		String writeText(@Nullable Object value);

		/** Whether {@link #read(JsonParser)} reads values without a tree. */
		default boolean readsText() {
			return false;
		}

		/** Reads the value the parser is at, leaving it at the value's last token. */
		default @Nullable Object read(JsonParser parser) {
			throw new UnsupportedOperationException("Read through a tree");
		}

	}

	/**
	 * Spring Data's {@code Page}, which Jackson writes but cannot read back (it is an interface):
	 * stored as its content, page request, sort and total, and rebuilt as a {@code PageImpl}. Loaded
	 * only when Spring Data is present.
	 */
	private static final class Pages {

		static boolean isPage(ResolvableType type) {
			return Page.class.isAssignableFrom(type.toClass());
		}

		static ResolvableType elementType(ResolvableType type) {
			return type.as(Page.class).getGeneric(0);
		}

		static Values values(JsonMapper mapper, JavaType elementType) {
			return new Values() {

				@Override
				public JsonNode write(@Nullable Object value) {
					if (value == null) {
						return mapper.nullNode();
					}
					Page<?> page = (Page<?>) value;
					ObjectNode stored = mapper.createObjectNode();
					var content = stored.putArray("content");
					page.getContent().forEach((element) -> content.add(mapper.valueToTree(element)));
					Pageable pageable = page.getPageable();
					stored.put("paged", pageable.isPaged());
					if (pageable.isPaged()) {
						stored.put("number", pageable.getPageNumber());
						stored.put("size", pageable.getPageSize());
					}
					stored.put("total", page.getTotalElements());
					var sort = stored.putArray("sort");
					for (Sort.Order order : pageable.getSort()) {
						sort.addObject()
							.put("property", order.getProperty())
							.put("direction", order.getDirection().name())
							.put("ignoreCase", order.isIgnoreCase())
							.put("nullHandling", order.getNullHandling().name());
					}
					return stored;
				}

				@Override
				public @Nullable Object read(JsonNode stored) {
					if (stored.isNull()) {
						return null;
					}
					List<Object> content = new ArrayList<>();
					for (JsonNode element : stored.get("content").values()) {
						content.add(mapper.treeToValue(element, elementType));
					}
					List<Sort.Order> orders = new ArrayList<>();
					for (JsonNode order : stored.get("sort").values()) {
						orders.add(new Sort.Order(Sort.Direction.valueOf(order.get("direction").asString()),
								order.get("property").asString(), order.get("ignoreCase").asBoolean(),
								Sort.NullHandling.valueOf(order.get("nullHandling").asString())));
					}
					Sort sort = Sort.by(orders);
					Pageable pageable = stored.get("paged").asBoolean()
							? PageRequest.of(stored.get("number").asInt(), stored.get("size").asInt(), sort)
							: Pageable.unpaged(sort);
					return new PageImpl<>(content, pageable, stored.get("total").asLong());
				}

				@Override
				public String writeText(@Nullable Object value) {
					return mapper.writeValueAsString(write(value));
				}

			};
		}

	}

	/**
	 * Whether a kept failure of this type can be rebuilt for its duplicates: it is concrete, and its
	 * own fields can be set (it is no inner class holding its enclosing instance, and its package is
	 * open to reflection). No constructor of it is needed: none runs.
	 */
	public static boolean canRebuild(Class<? extends Throwable> type) {
		return KeptFailures.whyNotRebuildable(type) == null;
	}

	/**
	 * Why a kept failure of this type cannot be rebuilt for its duplicates, or {@code null} if it can
	 * (see {@link #canRebuild(Class)}).
	 */
	public static @Nullable String whyNotRebuildable(Class<? extends Throwable> type) {
		return KeptFailures.whyNotRebuildable(type);
	}

	/**
	 * The constructor that rebuilt a failure of this type from its message alone, before its fields
	 * were kept, and still rebuilds a record of that form: {@code (String)}, {@code (String, Throwable)}
	 * or {@code ()}, in that order; {@code null} if it has none.
	 */
	static @Nullable Constructor<?> rebuilder(Class<?> type) {
		if (Modifier.isAbstract(type.getModifiers())) {
			return null;
		}
		for (Class<?>[] parameters : List.of(new Class<?>[] { String.class },
				new Class<?>[] { String.class, Throwable.class }, new Class<?>[0])) {
			try {
				return type.getDeclaredConstructor(parameters);
			}
			catch (NoSuchMethodException ex) {
				// Try the next form.
			}
		}
		return null;
	}

	/** The envelope shared by both codecs: failures and outcomes not kept; values are theirs. */
	private abstract static class JsonCodec implements OutcomeCodec<Object> {

		final JsonMapper mapper;

		private final KeptFailures failures;

		JsonCodec(JsonMapper mapper, KeptFailures failures) {
			this.mapper = mapper;
			this.failures = failures;
		}

		@Override
		public String encode(Outcome<Object> outcome) {
			if (outcome instanceof Outcome.Returned<Object> returned) {
				// The same text the tree below would give, written without building the tree.
				return encodeReturned(returned.value());
			}
			ObjectNode stored = this.mapper.createObjectNode();
			if (outcome instanceof Outcome.Thrown<Object> thrown) {
				stored.set("failure", this.failures.write(thrown.failure()));
			}
			else if (outcome instanceof Outcome.Unavailable<Object> unavailable) {
				stored.put("unavailable", unavailable.reason());
			}
			else {
				writeValue(stored, ((Outcome.Returned<Object>) outcome).value());
			}
			return this.mapper.writeValueAsString(stored);
		}

		@Override
		public Outcome<Object> decode(String outcome) {
			if (outcome.startsWith(RETURNED_VALUE)) {
				Outcome<Object> returned = decodeReturned(outcome);
				if (returned != null) {
					return returned;
				}
			}
			JsonNode stored = this.mapper.readTree(outcome);
			JsonNode failure = stored.get("failure");
			if (failure != null) {
				try {
					return Outcome.thrown(this.failures.read(failure));
				}
				catch (ReflectiveOperationException ex) {
					throw new IllegalStateException("Could not rebuild the stored failure " + failure, ex);
				}
			}
			JsonNode unavailable = stored.get("unavailable");
			if (unavailable != null) {
				return Outcome.unavailable(unavailable.asString());
			}
			return Outcome.returned(readValue(stored));
		}

		abstract void writeValue(ObjectNode stored, @Nullable Object value);

		abstract @Nullable Object readValue(JsonNode stored);

		/** A returned value's stored form, written directly. */
		String encodeReturned(@Nullable Object value) {
			ObjectNode stored = this.mapper.createObjectNode();
			writeValue(stored, value);
			return this.mapper.writeValueAsString(stored);
		}

		/**
		 * Reads a stored {@code {"value": ...}} without a tree; {@code null} if it holds more than that
		 * one property (then the tree reads it).
		 */
		@Nullable Outcome<Object> decodeReturned(String outcome) {
			return null;
		}

	}

	// How a returned value's stored form begins, as written; other forms are read through a tree.
	private static final String RETURNED_VALUE = "{\"value\":";

	private static final class ValueCodec extends JsonCodec {

		private final Values values;

		ValueCodec(JsonMapper mapper, KeptFailures failures, Values values) {
			super(mapper, failures);
			this.values = values;
		}

		@Override
		void writeValue(ObjectNode stored, @Nullable Object value) {
			stored.set("value", this.values.write(value));
		}

		@Override
		@Nullable Object readValue(JsonNode stored) {
			JsonNode value = stored.get("value");
			return (value == null) ? null : this.values.read(value);
		}

		@Override
		String encodeReturned(@Nullable Object value) {
			return RETURNED_VALUE + this.values.writeText(value) + "}";
		}

		@Override
		@Nullable Outcome<Object> decodeReturned(String outcome) {
			if (!this.values.readsText()) {
				return null;
			}
			try (JsonParser parser = this.mapper.createParser(outcome)) {
				// {"value": then the value, then } and nothing more; anything else goes through the tree.
				if (parser.nextToken() != JsonToken.START_OBJECT || parser.nextToken() != JsonToken.PROPERTY_NAME
						|| !"value".equals(parser.currentName()) || parser.nextToken() == null) {
					return null;
				}
				Object value = this.values.read(parser);
				if (parser.nextToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
					return null;
				}
				return Outcome.returned(value);
			}
		}

	}

	private static final class ResponseEntityCodec extends JsonCodec {

		private final Values body;

		ResponseEntityCodec(JsonMapper mapper, KeptFailures failures, Values body) {
			super(mapper, failures);
			this.body = body;
		}

		@Override
		String encodeReturned(@Nullable Object value) {
			if (value == null) {
				return "{}";
			}
			ResponseEntity<?> entity = (ResponseEntity<?>) value;
			// The headers written as a mapper with default settings writes a map of them, without making a map
			// or a generator (a mapper that escapes more, say non-ASCII, wrote other text that reads the same).
			StringBuilder text = new StringBuilder(256).append("{\"status\":")
				.append(entity.getStatusCode().value())
				.append(",\"headers\":{");
			String separator = "";
			for (Map.Entry<String, List<String>> header : entity.getHeaders().headerSet()) {
				text.append(separator);
				separator = ",";
				quoted(header.getKey(), text).append(":[");
				List<String> values = header.getValue();
				for (int i = 0; i < values.size(); i++) {
					quoted(values.get(i), text.append((i > 0) ? "," : ""));
				}
				text.append(']');
			}
			return text.append("},\"body\":").append(this.body.writeText(entity.getBody())).append('}').toString();
		}

		private static StringBuilder quoted(@Nullable String value, StringBuilder text) {
			if (value == null) {
				return text.append("null");
			}
			text.append('"');
			JsonStringEncoder.getInstance().quoteAsString(value, text);
			return text.append('"');
		}

		@Override
		void writeValue(ObjectNode stored, @Nullable Object value) {
			if (value == null) {
				return;
			}
			ResponseEntity<?> entity = (ResponseEntity<?>) value;
			stored.put("status", entity.getStatusCode().value());
			ObjectNode headers = stored.putObject("headers");
			entity.getHeaders().forEach((name, values) -> {
				var array = headers.putArray(name);
				values.forEach(array::add);
			});
			stored.set("body", this.body.write(entity.getBody()));
		}

		@Override
		@Nullable Object readValue(JsonNode stored) {
			JsonNode status = stored.get("status");
			if (status == null) {
				return null;
			}
			HttpHeaders headers = new HttpHeaders();
			JsonNode storedHeaders = stored.get("headers");
			if (storedHeaders != null) {
				for (Map.Entry<String, JsonNode> header : storedHeaders.properties()) {
					for (Iterator<JsonNode> values = header.getValue().values().iterator(); values.hasNext();) {
						headers.add(header.getKey(), values.next().asString());
					}
				}
			}
			JsonNode body = stored.get("body");
			Object value = (body == null) ? null : this.body.read(body);
			return ResponseEntity.status(HttpStatusCode.valueOf(status.asInt())).headers(headers).body(value);
		}

	}

}
