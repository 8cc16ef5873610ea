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

import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/** The canonical JSON form that request fingerprints compare. */
class IdempotencyFingerprinterTests {

	private static final JsonMapper JSON = JsonMapper.builder()
		.enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
		.build();

	@Test
	void keyOrderWhitespaceAndNumberNotationDoNotMatter() {
		assertThat(canonical("{ \"b\" : [1, 2.50, {\"y\":true, \"x\":null}],\n \"a\":\"caf\\u00e9\" }"))
			.isEqualTo(canonical("{\"a\":\"café\",\"b\":[1.0,2.5,{\"x\":null,\"y\":true}]}"))
			.isEqualTo("{\"a\":\"café\",\"b\":[1,2.5,{\"x\":null,\"y\":true}]}");
		assertThat(canonical("{\"n\":1e3}")).isEqualTo(canonical("{\"n\":1000}"));
	}

	@Test
	void whatChangesTheRequestChangesTheCanonicalForm() {
		assertThat(canonical("[1,2]")).isNotEqualTo(canonical("[2,1]"));
		assertThat(canonical("{\"a\":\"1\"}")).isNotEqualTo(canonical("{\"a\":1}"));
		assertThat(canonical("{\"a\":1}")).isNotEqualTo(canonical("{\"a\":1,\"b\":null}"));
		assertThat(canonical("{\"a\":\"x y\"}")).isNotEqualTo(canonical("{\"a\":\"xy\"}"));
	}

	private static String canonical(String json) {
		return IdempotencyFingerprinter.canonical(JSON.readTree(json));
	}

}
