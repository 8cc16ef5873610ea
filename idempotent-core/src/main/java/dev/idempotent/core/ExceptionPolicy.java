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
package dev.idempotent.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * Which exceptions of a call keep its key and which release it.
 * <p>
 * A kept exception is a business failure: the answer is final, so the call is completed with the
 * failure and a duplicate gets the same failure again. A released one is a system failure: nothing
 * happened, so the claim is removed and a retry runs. The rule whose type is the closest superclass
 * of the thrown exception decides; an exception no rule matches is released.
 */
public final class ExceptionPolicy {

	/** Releases the key on every exception. */
	public static final ExceptionPolicy RELEASE_ALL = new ExceptionPolicy(List.of(), List.of());

	private final List<Class<? extends Throwable>> keepOn;

	private final List<Class<? extends Throwable>> releaseOn;

	/**
	 * @param keepOn exceptions that keep the key (business failures)
	 * @param releaseOn exceptions that release it (system failures); useful for a subclass of a kept
	 * type
	 * @throws IllegalArgumentException if a type is in both lists
	 */
	public ExceptionPolicy(Collection<Class<? extends Throwable>> keepOn,
			Collection<Class<? extends Throwable>> releaseOn) {
		this.keepOn = List.copyOf(keepOn);
		this.releaseOn = List.copyOf(releaseOn);
		List<String> both = new ArrayList<>();
		for (Class<? extends Throwable> type : this.keepOn) {
			if (this.releaseOn.contains(type)) {
				both.add(type.getName());
			}
		}
		if (!both.isEmpty()) {
			throw new IllegalArgumentException("Exceptions cannot both keep and release the key: " + both);
		}
	}

	/** Whether the exception keeps the key (a business failure) rather than releasing it. */
	public boolean keeps(Throwable failure) {
		Objects.requireNonNull(failure, "failure");
		if (this.keepOn.isEmpty()) {
			return false;
		}
		int keepDepth = depth(failure.getClass(), this.keepOn);
		if (keepDepth < 0) {
			return false;
		}
		int releaseDepth = depth(failure.getClass(), this.releaseOn);
		return releaseDepth < 0 || keepDepth < releaseDepth;
	}

	/** The types that keep the key; only these (and their subclasses) are ever reconstructed. */
	public List<Class<? extends Throwable>> keepOn() {
		return this.keepOn;
	}

	/** The types that release the key. */
	public List<Class<? extends Throwable>> releaseOn() {
		return this.releaseOn;
	}

	// How many superclass steps from the thrown type to the nearest listed type, or -1.
	private static int depth(Class<?> thrown, List<Class<? extends Throwable>> types) {
		int depth = 0;
		for (Class<?> type = thrown; type != null; type = type.getSuperclass(), depth++) {
			if (types.contains(type)) {
				return depth;
			}
		}
		return -1;
	}

	@Override
	public boolean equals(Object other) {
		return (other instanceof ExceptionPolicy that) && this.keepOn.equals(that.keepOn)
				&& this.releaseOn.equals(that.releaseOn);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.keepOn, this.releaseOn);
	}

	@Override
	public String toString() {
		return "ExceptionPolicy[keepOn=" + this.keepOn + ", releaseOn=" + this.releaseOn + "]";
	}

}
