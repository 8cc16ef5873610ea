package dev.idempotent.spring;

import java.lang.reflect.Method;
import java.lang.reflect.WildcardType;
import java.util.Iterator;
import java.util.Map;

import dev.idempotent.core.OutcomeCodec;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.core.ResolvableType;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.util.ClassUtils;

/**
 * Makes the {@link OutcomeCodec} of a method: its return value as JSON, through the application's
 * {@link JsonMapper}, read back with the method's declared generic return type. A
 * {@code ResponseEntity} keeps its status and headers too, so a replay answers exactly as the first
 * call did. No Java serialization anywhere.
 * <p>
 * Stored form: {@code {"value": ...}} for plain results, {@code {"status": 201, "headers": {...},
 * "body": ...}} for a {@code ResponseEntity}.
 */
public class JsonOutcomeCodecFactory {

	private static final boolean WEB_PRESENT = ClassUtils.isPresent("org.springframework.http.ResponseEntity",
			JsonOutcomeCodecFactory.class.getClassLoader());

	private final JsonMapper jsonMapper;

	public JsonOutcomeCodecFactory(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	/** The codec for a method's declared return type. */
	public OutcomeCodec<Object> forMethod(Method method) {
		ResolvableType returnType = ResolvableType.forMethodReturnType(method);
		if (WEB_PRESENT && ResponseEntity.class.isAssignableFrom(returnType.toClass())) {
			ResolvableType bodyType = returnType.as(ResponseEntity.class).getGeneric(0);
			return new ResponseEntityCodec(this.jsonMapper, javaType(bodyType));
		}
		return new ValueCodec(this.jsonMapper, javaType(returnType));
	}

	private JavaType javaType(ResolvableType type) {
		// ResponseEntity<?> and unresolvable type variables are read back as plain JSON values.
		boolean open = type.getType() instanceof WildcardType || type.resolve() == null;
		return this.jsonMapper.getTypeFactory().constructType(open ? Object.class : type.getType());
	}

	private record ValueCodec(JsonMapper mapper, JavaType type) implements OutcomeCodec<Object> {

		@Override
		public String encode(@Nullable Object result) {
			ObjectNode stored = this.mapper.createObjectNode();
			stored.set("value", this.mapper.valueToTree(result));
			return this.mapper.writeValueAsString(stored);
		}

		@Override
		public @Nullable Object decode(String outcome) {
			JsonNode value = this.mapper.readTree(outcome).get("value");
			return (value == null || value.isNull()) ? null : this.mapper.treeToValue(value, this.type);
		}

	}

	private record ResponseEntityCodec(JsonMapper mapper, JavaType bodyType) implements OutcomeCodec<Object> {

		@Override
		public String encode(@Nullable Object result) {
			ObjectNode stored = this.mapper.createObjectNode();
			if (result == null) {
				return this.mapper.writeValueAsString(stored);
			}
			ResponseEntity<?> entity = (ResponseEntity<?>) result;
			stored.put("status", entity.getStatusCode().value());
			ObjectNode headers = stored.putObject("headers");
			entity.getHeaders().forEach((name, values) -> {
				var array = headers.putArray(name);
				values.forEach(array::add);
			});
			stored.set("body", this.mapper.valueToTree(entity.getBody()));
			return this.mapper.writeValueAsString(stored);
		}

		@Override
		public @Nullable Object decode(String outcome) {
			JsonNode stored = this.mapper.readTree(outcome);
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
			Object value = (body == null || body.isNull()) ? null : this.mapper.treeToValue(body, this.bodyType);
			return ResponseEntity.status(HttpStatusCode.valueOf(status.asInt())).headers(headers).body(value);
		}

	}

}
