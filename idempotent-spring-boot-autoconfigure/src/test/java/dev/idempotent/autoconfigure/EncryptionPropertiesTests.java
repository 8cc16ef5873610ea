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
package dev.idempotent.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.idempotent.core.AesGcmOutcomeEncryption;
import dev.idempotent.core.OutcomeEncryption;
import dev.idempotent.test.servers.RepositoryFiles;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code idempotent.encryption.*} and {@code idempotent.key-secret}: the configuration of the encryption
 * guide binds as the page says, with keys made by the command it shows, and a configuration that is not
 * usable stops the start-up saying what is wrong.
 */
class EncryptionPropertiesTests {

	/** The guide's command to generate a key; run here, so the keys it makes are known to be accepted. */
	static final String GENERATE_KEY = "openssl rand -base64 32";

	private static final Path GUIDE = RepositoryFiles.root().resolve("docs/guides/encryption-at-rest.md");

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(IdempotencyAutoConfiguration.class, JacksonAutoConfiguration.class));

	@Test
	void theGuidesConfigurationsBindWithGeneratedKeys() throws Exception {
		List<String> blocks = yamlBlocks();
		assertThat(blocks).as("yaml blocks of " + GUIDE).hasSize(3);
		String secret = generate();
		String january = generate();
		String july = generate();
		assertThat(Base64.getDecoder().decode(january)).hasSize(32);

		bind(blocks.get(0), secret, january, july).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(IdempotencyProperties.class).getKeySecret()).isEqualTo(secret);
			AesGcmOutcomeEncryption encryption = (AesGcmOutcomeEncryption) context.getBean(OutcomeEncryption.class);
			assertThat(encryption.activeKeyId()).isEqualTo("2026-01");
			assertThat(encryption.keyIds()).containsExactly("2026-01");
		});
		bind(blocks.get(1), secret, january, july).run((context) -> {
			AesGcmOutcomeEncryption encryption = (AesGcmOutcomeEncryption) context.getBean(OutcomeEncryption.class);
			assertThat(encryption.activeKeyId()).isEqualTo("2026-07");
			assertThat(encryption.keyIds()).containsExactlyInAnyOrder("2026-01", "2026-07");
		});
		bind(blocks.get(2), secret, january, july).run((context) -> {
			AesGcmOutcomeEncryption encryption = (AesGcmOutcomeEncryption) context.getBean(OutcomeEncryption.class);
			assertThat(encryption.activeKeyId()).isEqualTo("2026-07");
			assertThat(encryption.keyIds()).containsExactly("2026-07");
		});
	}

	@Test
	void encryptionIsOffUnlessEnabled() {
		this.runner.withPropertyValues("idempotent.encryption.keys.a=" + key(32), "idempotent.encryption.active-key=a")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(OutcomeEncryption.class));
	}

	@Test
	void anUnusableConfigurationStopsTheStartUpSayingWhatIsWrong() {
		assertFails("the active key is not set", "active-key is not set", "idempotent.encryption.enabled=true",
				"idempotent.encryption.keys.a=" + key(32));
		assertFails("no keys", "No encryption key is configured", "idempotent.encryption.enabled=true",
				"idempotent.encryption.active-key=a");
		assertFails("the active key is not listed", "active encryption key 'b' is not among the configured keys [a]",
				"idempotent.encryption.enabled=true", "idempotent.encryption.active-key=b",
				"idempotent.encryption.keys.a=" + key(32));
		assertFails("a key of the wrong length", "'a' has 16 bytes; an AES-256 key has 32",
				"idempotent.encryption.enabled=true", "idempotent.encryption.active-key=a",
				"idempotent.encryption.keys.a=" + key(16));
		assertFails("a key that is not Base64", "'a' is not Base64", "idempotent.encryption.enabled=true",
				"idempotent.encryption.active-key=a", "idempotent.encryption.keys.a=this*is*not*base64");
		assertFails("a short key secret", "idempotent.key-secret has 6 bytes; it needs at least 32",
				"idempotent.key-secret=secret");
	}

	private void assertFails(String why, String message, String... properties) {
		this.runner.withPropertyValues(properties)
			.run((context) -> assertThat(context).as(why)
				.hasFailed()
				.getFailure()
				.hasStackTraceContaining(message));
	}

	private ApplicationContextRunner bind(String yaml, String secret, String january, String july) {
		List<PropertySource<?>> sources;
		try {
			sources = new YamlPropertySourceLoader().load("guide",
					new ByteArrayResource(yaml.getBytes(StandardCharsets.UTF_8)));
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		return this.runner
			.withInitializer((context) -> sources.forEach(context.getEnvironment().getPropertySources()::addFirst))
			.withPropertyValues("IDEMPOTENT_KEY_SECRET=" + secret, "IDEMPOTENT_ENCRYPTION_KEY_2026_01=" + january,
					"IDEMPOTENT_ENCRYPTION_KEY_2026_07=" + july);
	}

	private static String generate() throws IOException, InterruptedException {
		Process process = new ProcessBuilder(GENERATE_KEY.split(" ")).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(GENERATE_KEY + ": " + output).isZero();
		return output;
	}

	private static String key(int bytes) {
		return Base64.getEncoder().encodeToString(new byte[bytes]);
	}

	// Every ```yaml block of the guide, its indentation (inside a list item) removed.
	private static List<String> yamlBlocks() throws IOException {
		String page = Files.readString(GUIDE);
		Matcher block = Pattern.compile("(?m)^([ \\t]*)```yaml\\n(.*?)^[ \\t]*```$", Pattern.DOTALL).matcher(page);
		List<String> blocks = new ArrayList<>();
		while (block.find()) {
			String indent = block.group(1);
			StringBuilder yaml = new StringBuilder();
			for (String line : block.group(2).split("\n")) {
				yaml.append(line.startsWith(indent) ? line.substring(indent.length()) : line).append('\n');
			}
			blocks.add(yaml.toString());
		}
		return blocks;
	}

}
