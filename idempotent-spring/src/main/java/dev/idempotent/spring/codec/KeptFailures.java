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
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import sun.reflect.ReflectionFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.util.ClassUtils;
import org.springframework.util.ConcurrentReferenceHashMap;
import org.springframework.util.ReflectionUtils;

/**
 * Writes the kept failures of one method and rebuilds them for its duplicates, for the types the
 * method keeps only.
 * <p>
 * Stored form: {@code {"type": <class>, "message": <getMessage()>, "fields": {<name>: <value>, ...}}},
 * the fields being the exception's own instance fields (its class's and its superclasses' up to
 * {@link Throwable}, {@code transient} ones left out), each written as JSON and read back with the
 * field's declared type. The rebuilt exception is allocated without running a constructor of its
 * class: only {@link Throwable#Throwable(String)} runs, with the stored message (or none, when the
 * class computes its message itself), and the fields are set as they were. So a constructor that
 * formats its message from its arguments, or defaults a field, never runs again. The cause, the stack
 * trace and suppressed exceptions are not kept.
 * <p>
 * A failure is only written if it reads back as it was (same message, same fields); one that would
 * not is refused with an {@link IllegalStateException}, so the engine keeps the call without its
 * outcome and a duplicate is refused rather than answered differently.
 * <p>
 * The earlier form, {@code {"type", "message"}} alone, is still read, as it was: through a
 * constructor taking {@code (String)}, {@code (String, Throwable)} or nothing. The new form keeps
 * both keys, so an earlier version reads a record written by this one as it read its own.
 */
final class KeptFailures {

	private static final boolean WEB_PRESENT = ClassUtils.isPresent("org.springframework.http.ProblemDetail",
			KeptFailures.class.getClassLoader());

	// In the JDK's jdk.unsupported module, which a trimmed runtime image may leave out.
	private static final boolean ALLOCATION_PRESENT = ClassUtils.isPresent("sun.reflect.ReflectionFactory",
			KeptFailures.class.getClassLoader());

	private static final String NO_ALLOCATION = "the Java runtime lacks the jdk.unsupported module "
			+ "(sun.reflect.ReflectionFactory), which rebuilds a failure without running its constructor";

	private final JsonMapper mapper;

	private final List<Class<? extends Throwable>> keepOn;

	private final @Nullable ClassLoader classLoader;

	private final Map<Class<?>, Constructor<?>> allocators;

	/**
	 * @param allocators where the constructors that allocate a kept type are kept once made (making
	 * one generates a class)
	 */
	KeptFailures(JsonMapper mapper, List<Class<? extends Throwable>> keepOn, @Nullable ClassLoader classLoader,
			Map<Class<?>, Constructor<?>> allocators) {
		this.mapper = mapper;
		this.keepOn = keepOn;
		this.classLoader = classLoader;
		this.allocators = allocators;
	}

	/** A cache for the allocators of kept types that lets their classes be unloaded. */
	static Map<Class<?>, Constructor<?>> allocatorCache() {
		return new ConcurrentReferenceHashMap<>();
	}

	/**
	 * Why a kept failure of this type could not be rebuilt for its duplicates, or {@code null} if it can:
	 * it must be concrete and every field of its own must be one this class can set.
	 */
	static @Nullable String whyNotRebuildable(Class<?> type) {
		if (Modifier.isAbstract(type.getModifiers())) {
			return "it is abstract";
		}
		if (!ALLOCATION_PRESENT) {
			return NO_ALLOCATION;
		}
		try {
			for (StoredField stored : storedFields(type)) {
				if (!stored.field().trySetAccessible()) {
					return "its field " + stored.describe() + " cannot be set (its package is not open to reflection)";
				}
			}
		}
		catch (IllegalStateException ex) {
			return ex.getMessage();
		}
		return null;
	}

	ObjectNode write(Throwable failure) {
		Class<?> type = failure.getClass();
		List<StoredField> fields = storedFields(type);
		ObjectNode written = this.mapper.createObjectNode();
		written.put("type", type.getName());
		written.put("message", failure.getMessage());
		ObjectNode values = written.putObject("fields");
		Map<StoredField, @Nullable Object> thrown = new LinkedHashMap<>();
		for (StoredField stored : fields) {
			Object value = stored.get(failure);
			thrown.put(stored, value);
			values.set(stored.key(), writeValue(stored.field(), value));
		}
		Throwable rebuilt;
		try {
			rebuilt = rebuild(type, written);
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			throw new IllegalStateException(
					"The kept failure " + type.getName() + " cannot be rebuilt for its duplicates: " + ex, ex);
		}
		String difference = difference(failure, rebuilt, thrown, values);
		if (difference != null) {
			throw new IllegalStateException("The kept failure " + type.getName() + " would read back differently ("
					+ difference + "), so it is not kept: its duplicates are refused rather than answered otherwise");
		}
		return written;
	}

	Throwable read(JsonNode failure) throws ReflectiveOperationException {
		String typeName = failure.get("type").asString();
		// Loaded without initialising it: nothing of the class runs unless it is a kept type.
		Class<?> type = ClassUtils.forName(typeName, this.classLoader);
		if (this.keepOn.stream().noneMatch((kept) -> kept.isAssignableFrom(type))) {
			throw new IllegalStateException("Stored failure type " + typeName + " is not one the method keeps");
		}
		if (failure.get("fields") == null) {
			return readEarlierForm(type, message(failure));
		}
		return rebuild(type, failure);
	}

	private Throwable rebuild(Class<?> type, JsonNode failure) throws ReflectiveOperationException {
		Map<String, StoredField> fields = new LinkedHashMap<>();
		for (StoredField stored : storedFields(type)) {
			fields.put(stored.key(), stored);
		}
		// A class that computes its message (from its fields, say) is given none: its own getMessage() answers.
		String message = computesItsMessage(type) ? null : message(failure);
		Throwable rebuilt = allocate(type, message);
		for (Map.Entry<String, JsonNode> value : failure.get("fields").properties()) {
			StoredField stored = fields.get(value.getKey());
			if (stored == null) {
				throw new IllegalStateException("Stored failure type " + type.getName() + " has no field '"
						+ value.getKey() + "' (the class changed since the failure was kept)");
			}
			stored.set(rebuilt, readValue(stored.field(), value.getValue()));
		}
		return rebuilt;
	}

	/** Records written before the fields were kept: rebuilt through a constructor, as they were then. */
	private Throwable readEarlierForm(Class<?> type, @Nullable String message) throws ReflectiveOperationException {
		Constructor<?> constructor = JsonOutcomeCodecFactory.rebuilder(type);
		if (constructor == null) {
			return allocate(type, message);
		}
		ReflectionUtils.makeAccessible(constructor);
		return (Throwable) switch (constructor.getParameterCount()) {
			case 1 -> constructor.newInstance(message);
			case 2 -> constructor.newInstance(message, null);
			default -> constructor.newInstance();
		};
	}

	/**
	 * A new instance of the type in which only {@code Throwable(String)} ran, as Java deserialization
	 * does for a {@code Throwable}: no constructor or field initialiser of the type itself runs.
	 */
	private Throwable allocate(Class<?> type, @Nullable String message) throws ReflectiveOperationException {
		if (Modifier.isAbstract(type.getModifiers())) {
			throw new InstantiationException(type.getName() + " is abstract");
		}
		if (!ALLOCATION_PRESENT) {
			throw new IllegalStateException(NO_ALLOCATION);
		}
		Constructor<?> allocator = this.allocators.get(type);
		if (allocator == null) {
			allocator = ReflectionFactory.getReflectionFactory()
				.newConstructorForSerialization(type, Throwable.class.getDeclaredConstructor(String.class));
			this.allocators.put(type, allocator);
		}
		return (Throwable) allocator.newInstance(message);
	}

	private static boolean computesItsMessage(Class<?> type) {
		Method getMessage = ReflectionUtils.findMethod(type, "getMessage");
		return getMessage != null && getMessage.getDeclaringClass() != Throwable.class;
	}

	private static @Nullable String message(JsonNode failure) {
		JsonNode message = failure.get("message");
		return (message == null || message.isNull()) ? null : message.asString();
	}

	/** What of the rebuilt failure differs from the thrown one, or {@code null} if nothing does. */
	private @Nullable String difference(Throwable thrown, Throwable rebuilt, Map<StoredField, @Nullable Object> values,
			ObjectNode written) {
		if (!Objects.equals(thrown.getMessage(), rebuilt.getMessage())) {
			return "its message would be \"" + rebuilt.getMessage() + "\" rather than \"" + thrown.getMessage() + "\"";
		}
		for (Map.Entry<StoredField, @Nullable Object> value : values.entrySet()) {
			StoredField stored = value.getKey();
			Object was = value.getValue();
			Object is = stored.get(rebuilt);
			if (!writeValue(stored.field(), is).equals(written.get(stored.key()))) {
				return "its field " + stored.describe() + " would not read back as written";
			}
			// A value read back as another class (a bean in an Object field comes back as a Map) is not the same.
			boolean containerOfValues = was instanceof Collection || was instanceof Map
					|| (was != null && was.getClass().isArray());
			if (was != null && is != null && !containerOfValues && was.getClass() != is.getClass()) {
				return "its field " + stored.describe() + " would be a " + is.getClass().getName() + " rather than a "
						+ was.getClass().getName();
			}
		}
		return null;
	}

	private JsonNode writeValue(Field field, @Nullable Object value) {
		if (value == null) {
			return this.mapper.nullNode();
		}
		if (WEB_PRESENT && WebValues.handles(field.getType())) {
			return WebValues.write(this.mapper, value);
		}
		return this.mapper.valueToTree(value);
	}

	private @Nullable Object readValue(Field field, JsonNode stored) {
		if (stored.isNull() && !field.getType().isPrimitive()) {
			return null;
		}
		if (WEB_PRESENT && WebValues.handles(field.getType())) {
			return WebValues.read(this.mapper, field.getType(), stored);
		}
		return this.mapper.treeToValue(stored, this.mapper.getTypeFactory().constructType(field.getGenericType()));
	}

	/**
	 * The instance fields of a type that make up its kept state, its own first: a field a superclass
	 * declares under a name already taken is stored as {@code <declaring class>#<name>}.
	 * @throws IllegalStateException if the type holds a reference to an enclosing instance
	 */
	private static List<StoredField> storedFields(Class<?> type) {
		List<StoredField> fields = new ArrayList<>();
		Set<String> names = new HashSet<>();
		for (Class<?> declaring = type; declaring != null && declaring != Throwable.class; declaring = declaring
			.getSuperclass()) {
			for (Field field : declaring.getDeclaredFields()) {
				int modifiers = field.getModifiers();
				if (Modifier.isStatic(modifiers) || Modifier.isTransient(modifiers)) {
					continue;
				}
				if (field.isSynthetic()) {
					throw new IllegalStateException(declaring.getName() + " holds a reference to its enclosing instance ("
							+ field.getName() + "); make it a static nested class");
				}
				String key = names.add(field.getName()) ? field.getName() : declaring.getName() + "#" + field.getName();
				fields.add(new StoredField(key, field));
			}
		}
		return fields;
	}

	private record StoredField(String key, Field field) {

		@Nullable Object get(Throwable failure) {
			ReflectionUtils.makeAccessible(this.field);
			return ReflectionUtils.getField(this.field, failure);
		}

		void set(Throwable failure, @Nullable Object value) {
			ReflectionUtils.makeAccessible(this.field);
			ReflectionUtils.setField(this.field, failure, value);
		}

		String describe() {
			return this.field.getDeclaringClass().getName() + "." + this.field.getName();
		}

	}

	/**
	 * Spring Web's types that an {@code ErrorResponseException} holds and Jackson cannot read back by
	 * their declared type alone: the status (an interface), the headers and the problem detail. Loaded
	 * only when Spring Web is present.
	 */
	private static final class WebValues {

		static boolean handles(Class<?> declared) {
			return declared == HttpStatusCode.class || declared == HttpHeaders.class || declared == ProblemDetail.class;
		}

		static JsonNode write(JsonMapper mapper, Object value) {
			if (value instanceof HttpStatusCode status) {
				return mapper.getNodeFactory().numberNode(status.value());
			}
			if (value instanceof HttpHeaders headers) {
				ObjectNode written = mapper.createObjectNode();
				headers.forEach((name, values) -> {
					var array = written.putArray(name);
					values.forEach(array::add);
				});
				return written;
			}
			ProblemDetail problem = (ProblemDetail) value;
			if (problem.getClass() != ProblemDetail.class) {
				throw new IllegalStateException("A " + problem.getClass().getName() + " (a subclass of ProblemDetail) "
						+ "cannot be kept; keep its fields in ProblemDetail's properties");
			}
			ObjectNode written = mapper.createObjectNode();
			written.put("type", (problem.getType() != null) ? problem.getType().toString() : null);
			written.put("title", problem.getTitle());
			written.put("status", problem.getStatus());
			written.put("detail", problem.getDetail());
			written.put("instance", (problem.getInstance() != null) ? problem.getInstance().toString() : null);
			written.set("properties", mapper.valueToTree(problem.getProperties()));
			return written;
		}

		static Object read(JsonMapper mapper, Class<?> declared, JsonNode stored) {
			if (declared == HttpStatusCode.class) {
				return HttpStatusCode.valueOf(stored.asInt());
			}
			if (declared == HttpHeaders.class) {
				HttpHeaders headers = new HttpHeaders();
				for (Map.Entry<String, JsonNode> header : stored.properties()) {
					header.getValue().values().forEach((value) -> headers.add(header.getKey(), value.asString()));
				}
				return headers;
			}
			ProblemDetail problem = ProblemDetail.forStatus(stored.get("status").asInt());
			String type = text(stored.get("type"));
			if (type != null) {
				problem.setType(URI.create(type));
			}
			problem.setTitle(text(stored.get("title")));
			problem.setDetail(text(stored.get("detail")));
			String instance = text(stored.get("instance"));
			problem.setInstance((instance != null) ? URI.create(instance) : null);
			JsonNode properties = stored.get("properties");
			if (properties != null && !properties.isNull()) {
				for (Map.Entry<String, JsonNode> property : properties.properties()) {
					problem.setProperty(property.getKey(), mapper.treeToValue(property.getValue(), Object.class));
				}
			}
			return problem;
		}

		private static @Nullable String text(@Nullable JsonNode node) {
			return (node == null || node.isNull()) ? null : node.asString();
		}

	}

}
