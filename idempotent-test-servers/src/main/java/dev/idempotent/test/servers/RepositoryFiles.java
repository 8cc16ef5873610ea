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

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the repository's own files (the docs pages a test holds the code to) from whichever module's
 * directory the tests run in.
 */
public final class RepositoryFiles {

	private RepositoryFiles() {
	}

	/**
	 * The repository's root: the nearest directory above the working directory with {@code docs/} and a
	 * {@code pom.xml}.
	 * @throws IllegalStateException if there is none
	 */
	public static Path root() {
		for (Path directory = Path.of("").toAbsolutePath(); directory != null; directory = directory.getParent()) {
			if (Files.isDirectory(directory.resolve("docs")) && Files.isRegularFile(directory.resolve("pom.xml"))) {
				return directory;
			}
		}
		throw new IllegalStateException("No directory with docs/ and pom.xml above " + Path.of("").toAbsolutePath());
	}

}
