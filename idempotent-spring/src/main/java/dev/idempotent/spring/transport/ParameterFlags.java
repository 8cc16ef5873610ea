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
package dev.idempotent.spring.transport;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiPredicate;

/**
 * Which parameters of a method have a property (an annotation, say), worked out once per method: a
 * transport that asks it for every call would read the parameters' annotations, which copies them, on
 * every request or message. Safe for concurrent use.
 */
public final class ParameterFlags {

	private final BiPredicate<Method, Integer> flag;

	private final Map<Method, boolean[]> flags = new ConcurrentHashMap<>(64);

	/**
	 * @param flag whether the parameter at an index of a method has the property; called once per
	 * method and parameter
	 */
	public ParameterFlags(BiPredicate<Method, Integer> flag) {
		this.flag = flag;
	}

	/**
	 * The property of each parameter of the method, by index.
	 * @param method the method
	 * @return one flag per parameter; shared, not to be changed
	 */
	public boolean[] of(Method method) {
		boolean[] found = this.flags.get(method);
		if (found == null) {
			found = this.flags.computeIfAbsent(method, (key) -> {
				boolean[] flags = new boolean[key.getParameterCount()];
				for (int i = 0; i < flags.length; i++) {
					flags[i] = this.flag.test(key, i);
				}
				return flags;
			});
		}
		return found;
	}

}
