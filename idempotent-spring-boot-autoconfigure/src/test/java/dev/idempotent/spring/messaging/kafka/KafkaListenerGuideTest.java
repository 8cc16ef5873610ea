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
package dev.idempotent.spring.messaging.kafka;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.idempotent.test.servers.RepositoryFiles;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the Kafka guide's Java from drifting away from the code the tests run: every {@code java} block of
 * {@code docs/guides/kafka-listeners.md} is, line by line (indentation aside), in
 * {@link KafkaGuideListeners}, whose listeners {@link IdempotentKafkaListenerTests} runs on a real broker.
 */
class KafkaListenerGuideTest {

	private static final Pattern JAVA_BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```");

	@Test
	void everyJavaBlockOfTheGuideIsInTheListenersTheTestsRun() throws IOException {
		Path root = RepositoryFiles.root();
		String guide = Files.readString(root.resolve("docs/guides/kafka-listeners.md"));
		List<String> source = lines(Files.readString(root.resolve("idempotent-spring-boot-autoconfigure/src/test/java/"
				+ KafkaGuideListeners.class.getName().replace('.', '/') + ".java")));
		List<List<String>> blocks = new ArrayList<>();
		Matcher matcher = JAVA_BLOCK.matcher(guide);
		while (matcher.find()) {
			blocks.add(lines(matcher.group(1)));
		}
		assertThat(blocks).as("java blocks in the guide").isNotEmpty();
		for (List<String> block : blocks) {
			assertThat(java.util.Collections.indexOfSubList(source, block))
				.as("this block of the guide is in %s:%n%s", KafkaGuideListeners.class.getSimpleName(),
						String.join("\n", block))
				.isNotNegative();
		}
	}

	private static List<String> lines(String text) {
		return text.lines().map(String::strip).filter((line) -> !line.isEmpty()).toList();
	}

}
