package dev.idempotent.example;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * The example carries the JDBC starter and drivers for {@code idempotent.store.type=jdbc}, but runs
 * on Redis by default, with no database at all. Spring Boot would fail to start for want of a
 * {@code spring.datasource.url}, so the DataSource auto-configuration is left out unless one is
 * configured.
 */
class DataSourceOnlyWhenConfigured implements EnvironmentPostProcessor {

	private static final String DATA_SOURCE_AUTO_CONFIGURATION =
			"org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (environment.containsProperty("spring.datasource.url")) {
			return;
		}
		String excluded = environment.getProperty("spring.autoconfigure.exclude", "");
		String exclude = excluded.isBlank() ? DATA_SOURCE_AUTO_CONFIGURATION
				: excluded + "," + DATA_SOURCE_AUTO_CONFIGURATION;
		environment.getPropertySources()
			.addFirst(new MapPropertySource("exampleNoDataSource", Map.of("spring.autoconfigure.exclude", exclude)));
	}

}
