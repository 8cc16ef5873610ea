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

	@Test
	void theCanonicalFormIsTheOneFingerprintsWereStoredWith() {
		// A record stored by an earlier release holds the digest of this text: it must not change.
		assertThat(canonical("{\"z\":[100,-120,0,7,-3,12.50,1e3,2.0E-5,123456789012345678901234567890],"
				+ "\"s\":\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f/é\\ud83d\\ude00\","
				+ "\"k\\nq\":true,\"f\":false,\"n\":null,\"o\":{}}"))
			.isEqualTo("{\"f\":false,\"k\\nq\":true,\"n\":null,\"o\":{},\"s\":\"a\\\"b\\\\c\\n\\t\\r\\b\\f"
					+ "\\u0001\\u001F\u007f/é\ud83d\ude00\",\"z\":[1E+2,-1.2E+2,0,7,-3,12.5,1E+3,0.00002,"
					+ "1.2345678901234567890123456789E+29]}");
	}

	@Test
	void everyCharacterIsWrittenAsJacksonWritesIt() {
		for (int c = Character.MIN_VALUE; c <= Character.MAX_VALUE; c++) {
			String value = "x" + (char) c + "y";
			StringBuilder text = new StringBuilder();
			IdempotencyFingerprinter.writeString(value, text);
			assertThat(text.toString()).as("U+%04X", c).isEqualTo(JSON.writeValueAsString(value));
		}
	}

	private static String canonical(String json) {
		return IdempotencyFingerprinter.canonical(JSON.readTree(json));
	}

}
