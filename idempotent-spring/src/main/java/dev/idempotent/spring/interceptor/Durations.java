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

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the durations of {@code @Idempotent}'s attributes the way Spring Boot reads duration
 * properties, without Spring Boot: a number with a unit ({@code 30s}, {@code 500ms}, {@code 5m};
 * {@code ns}, {@code us}, {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}; milliseconds when
 * the unit is left out) or ISO-8601 ({@code PT30S}).
 */
final class Durations {

	private static final Pattern SIMPLE = Pattern.compile("([+-]?\\d+)([a-zA-Z]{0,2})");

	private static final Map<String, ChronoUnit> UNITS = Map.of("", ChronoUnit.MILLIS, "ns", ChronoUnit.NANOS, "us",
			ChronoUnit.MICROS, "ms", ChronoUnit.MILLIS, "s", ChronoUnit.SECONDS, "m", ChronoUnit.MINUTES, "h",
			ChronoUnit.HOURS, "d", ChronoUnit.DAYS);

	private Durations() {
	}

	/**
	 * @throws IllegalArgumentException if the text is no duration
	 */
	static Duration parse(String text) {
		Matcher simple = SIMPLE.matcher(text);
		if (simple.matches()) {
			ChronoUnit unit = UNITS.get(simple.group(2).toLowerCase(Locale.ROOT));
			if (unit == null) {
				throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + simple.group(2) + "'");
			}
			return Duration.of(Long.parseLong(simple.group(1)), unit);
		}
		try {
			return Duration.parse(text);
		}
		catch (DateTimeParseException ex) {
			throw new IllegalArgumentException("'" + text + "' is not a duration", ex);
		}
	}

}
