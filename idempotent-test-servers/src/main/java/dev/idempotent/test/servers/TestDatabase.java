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
package dev.idempotent.test.servers;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.mariadb.MariaDBContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The databases the tests talk to, one server per kind and test JVM, chosen in this order:
 * <ol>
 * <li>an explicit JDBC URL, user and password included: system property
 * {@code idempotent.test.postgres.url} or environment variable {@code IDEMPOTENT_TEST_POSTGRES_URL}
 * (e.g. {@code jdbc:postgresql://127.0.0.1:5432/test?user=postgres}), and likewise
 * {@code idempotent.test.mariadb.url} / {@code IDEMPOTENT_TEST_MARIADB_URL} (e.g.
 * {@code jdbc:mariadb://127.0.0.1:3306/test?user=root});</li>
 * <li>a Testcontainers database, when a Docker engine answers;</li>
 * <li>else the test fails, saying how to point it at a server. It is never skipped.</li>
 * </ol>
 * H2 runs in memory and needs nothing. Tests share a server, so each uses keys of its own.
 */
public enum TestDatabase {

	POSTGRESQL("postgres", "PostgreSQL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"),

	MARIADB("mariadb", "MariaDB", "jdbc:mariadb://127.0.0.1:3306/test?user=root"),

	H2("h2", "H2", "");

	private static final Logger logger = LoggerFactory.getLogger(TestDatabase.class);

	private static final Map<TestDatabase, String> urls = new ConcurrentHashMap<>();

	private final String id;

	private final String displayName;

	private final String exampleUrl;

	TestDatabase(String id, String displayName, String exampleUrl) {
		this.id = id;
		this.displayName = displayName;
		this.exampleUrl = exampleUrl;
	}

	/** The system property naming this database's JDBC URL. */
	public String urlProperty() {
		return "idempotent.test." + this.id + ".url";
	}

	/** The environment variable naming this database's JDBC URL. */
	public String urlEnv() {
		return "IDEMPOTENT_TEST_" + this.id.toUpperCase() + "_URL";
	}

	/** The JDBC URL of this database, started on first call. */
	public String url() {
		return urls.computeIfAbsent(this, (database) -> {
			String url = database.start();
			logger.info("Tests use {} at {}", database.displayName, url.replaceAll("password=[^&]*", "password=***"));
			return url;
		});
	}

	/** A new pool on this database; close it when done. */
	public HikariDataSource dataSource(int maximumPoolSize) {
		HikariConfig config = new HikariConfig();
		config.setJdbcUrl(url());
		config.setMaximumPoolSize(maximumPoolSize);
		config.setPoolName("test-" + this.id + "-" + UUID.randomUUID().toString().substring(0, 8));
		return new HikariDataSource(config);
	}

	private String start() {
		if (this == H2) {
			return "jdbc:h2:mem:idempotent-tests;DB_CLOSE_DELAY=-1";
		}
		String url = System.getProperty(urlProperty(), System.getenv(urlEnv()));
		if (url != null && !url.isBlank()) {
			return url.trim();
		}
		if (dockerAvailable()) {
			JdbcDatabaseContainer<?> container = (this == POSTGRESQL) ? new PostgreSQLContainer("postgres:16-alpine")
					: new MariaDBContainer("mariadb:11.4");
			container.start();
			String separator = container.getJdbcUrl().contains("?") ? "&" : "?";
			return container.getJdbcUrl() + separator + "user=" + container.getUsername() + "&password="
					+ container.getPassword();
		}
		throw new IllegalStateException("These tests need a " + this.displayName + " server and no Docker engine "
				+ "answered for Testcontainers. Point them at a server with the system property " + urlProperty()
				+ " or the environment variable " + urlEnv() + ", a JDBC URL with user and password, e.g. "
				+ this.exampleUrl);
	}

	private static boolean dockerAvailable() {
		try {
			return DockerClientFactory.instance().isDockerAvailable();
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

}
