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

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import dev.idempotent.core.ExceptionPolicy;
import dev.idempotent.core.Outcome;
import dev.idempotent.core.OutcomeCodec;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.ResolvableType;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageImpl;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stored form of a returned value: what an earlier release wrote is read back the same, and what
 * is written now is that same text, whether or not it goes through a JSON tree.
 */
class StoredOutcomeFormatTests {

	private final JsonOutcomeCodecFactory codecs = new JsonOutcomeCodecFactory(JsonMapper.builder().build());

	@Test
	void aPlainValueIsStoredUnderValue() {
		OutcomeCodec<Object> codec = codec(new ParameterizedTypeReference<Receipt>() {
		});
		Receipt receipt = new Receipt("r-1", List.of(new Line("book", 2)), new BigDecimal("12.50"));
		String stored = "{\"value\":{\"id\":\"r-1\",\"lines\":[{\"sku\":\"book\",\"quantity\":2}],\"total\":12.50}}";
		assertThat(codec.encode(Outcome.returned(receipt))).isEqualTo(stored);
		// Read from the text itself, a decimal keeps its scale (read through a tree, it came back 12.5).
		assertThat(codec.decode(stored)).isEqualTo(Outcome.returned(receipt));
	}

	@Test
	void genericValuesNullsAndNoValueReadBackAsBefore() {
		OutcomeCodec<Object> lines = codec(new ParameterizedTypeReference<List<Line>>() {
		});
		assertThat(lines.decode("{\"value\":[{\"sku\":\"a\",\"quantity\":1}]}"))
			.isEqualTo(Outcome.returned(List.of(new Line("a", 1))));
		assertThat(lines.encode(Outcome.returned(null))).isEqualTo("{\"value\":null}");
		assertThat(lines.decode("{\"value\":null}")).isEqualTo(Outcome.returned(null));
		assertThat(lines.decode("{}")).isEqualTo(Outcome.returned(null));
		// Written by a mapper that indents, or with the property not first: read through the tree.
		assertThat(lines.decode("{\n  \"value\" : [ {\n \"quantity\" : 1, \"sku\" : \"a\" } ]\n}"))
			.isEqualTo(Outcome.returned(List.of(new Line("a", 1))));
		OutcomeCodec<Object> numbers = codec(new ParameterizedTypeReference<Map<String, Object>>() {
		});
		assertThat(numbers.decode("{\"value\":{\"n\":1,\"d\":2.5,\"s\":\"x\"}}"))
			.isEqualTo(Outcome.returned(Map.of("n", 1, "d", 2.5, "s", "x")));
	}

	@Test
	void failuresAndOutcomesNotKeptKeepTheirForms() {
		OutcomeCodec<Object> codec = codec(new ParameterizedTypeReference<String>() {
		});
		assertThat(codec.encode(Outcome.unavailable("too large"))).isEqualTo("{\"unavailable\":\"too large\"}");
		assertThat(codec.decode("{\"unavailable\":\"too large\"}")).isEqualTo(Outcome.unavailable("too large"));
		assertThat(codec.decode("{\"value\":\"text\"}")).isEqualTo(Outcome.returned("text"));
	}

	@Test
	void headersThatNeedEscapingAreWrittenAsTheMapperWritesThemAndReadBackUnchanged() {
		OutcomeCodec<Object> codec = codec(new ParameterizedTypeReference<ResponseEntity<String>>() {
		});
		String awkward = "say \"hi\" \\ to caf\u00e9\t\u0001 </end>";
		ResponseEntity<String> entity = ResponseEntity.ok().header("X-Note", awkward, "plain").body("ok");
		Map<String, List<String>> headers = Map.of("X-Note", List.of(awkward, "plain"));
		String stored = codec.encode(Outcome.returned(entity));
		assertThat(stored).isEqualTo("{\"status\":200,\"headers\":"
				+ JsonMapper.builder().build().writeValueAsString(headers) + ",\"body\":\"ok\"}");
		ResponseEntity<?> replayed = (ResponseEntity<?>) ((Outcome.Returned<Object>) codec.decode(stored)).value();
		assertThat(replayed.getHeaders().get("X-Note")).containsExactly(awkward, "plain");
		assertThat(replayed.getBody()).isEqualTo("ok");
	}

	@Test
	void aResponseEntityKeepsItsStatusHeadersAndBody() {
		OutcomeCodec<Object> codec = codec(new ParameterizedTypeReference<ResponseEntity<Line>>() {
		});
		ResponseEntity<Line> entity = ResponseEntity.status(HttpStatus.CREATED)
			.header("Location", "/lines/1")
			.header("X-Tag", "a", "b")
			.body(new Line("book", 2));
		String stored = "{\"status\":201,\"headers\":{\"Location\":[\"/lines/1\"],\"X-Tag\":[\"a\",\"b\"]},"
				+ "\"body\":{\"sku\":\"book\",\"quantity\":2}}";
		assertThat(codec.encode(Outcome.returned(entity))).isEqualTo(stored);
		ResponseEntity<?> replayed = (ResponseEntity<?>) ((Outcome.Returned<Object>) codec.decode(stored)).value();
		assertThat(replayed.getStatusCode()).isEqualTo(HttpStatus.CREATED);
		assertThat(replayed.getHeaders().get("X-Tag")).containsExactly("a", "b");
		assertThat(replayed.getHeaders().getLocation()).hasToString("/lines/1");
		assertThat(replayed.getBody()).isEqualTo(new Line("book", 2));
		String noBody = "{\"status\":204,\"headers\":{},\"body\":null}";
		assertThat(codec.encode(Outcome.returned(ResponseEntity.noContent().build()))).isEqualTo(noBody);
		assertThat(((ResponseEntity<?>) ((Outcome.Returned<Object>) codec.decode(noBody)).value()).getBody())
			.isNull();
	}

	@Test
	void aPageIsStoredAsItsContentRequestSortAndTotal() {
		OutcomeCodec<Object> codec = codec(new ParameterizedTypeReference<Page<Line>>() {
		});
		Page<Line> page = new PageImpl<>(List.of(new Line("a", 1)), PageRequest.of(1, 1, Sort.by("sku")), 3);
		String stored = "{\"value\":{\"content\":[{\"sku\":\"a\",\"quantity\":1}],\"paged\":true,\"number\":1,"
				+ "\"size\":1,\"total\":3,\"sort\":[{\"property\":\"sku\",\"direction\":\"ASC\",\"ignoreCase\":false,"
				+ "\"nullHandling\":\"NATIVE\"}]}}";
		assertThat(codec.encode(Outcome.returned(page))).isEqualTo(stored);
		Page<?> replayed = (Page<?>) ((Outcome.Returned<Object>) codec.decode(stored)).value();
		assertThat(replayed.getContent()).isEqualTo(List.of(new Line("a", 1)));
		assertThat(replayed.getPageable()).isEqualTo(page.getPageable());
		assertThat(replayed.getTotalElements()).isEqualTo(3);
	}

	private OutcomeCodec<Object> codec(ParameterizedTypeReference<?> type) {
		return this.codecs.forType(ResolvableType.forType(type), ExceptionPolicy.RELEASE_ALL, null);
	}

	record Line(String sku, int quantity) {
	}

	record Receipt(String id, List<Line> lines, BigDecimal total) {
	}

}
