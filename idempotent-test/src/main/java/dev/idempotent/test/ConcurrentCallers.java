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
package dev.idempotent.test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** Races callers against each other: every thread is released at the same moment. */
public final class ConcurrentCallers {

	private ConcurrentCallers() {
	}

	/**
	 * Runs {@code task} on {@code callers} threads released together, and returns what each
	 * returned. A task that throws fails the race.
	 */
	public static <T> List<T> race(int callers, Caller<T> task) throws Exception {
		ExecutorService pool = Executors.newFixedThreadPool(callers);
		CountDownLatch start = new CountDownLatch(1);
		try {
			List<Future<T>> futures = new ArrayList<>();
			for (int i = 0; i < callers; i++) {
				futures.add(pool.submit(() -> {
					start.await();
					try {
						return task.call();
					}
					catch (Exception | Error ex) {
						throw ex;
					}
					catch (Throwable ex) {
						throw new IllegalStateException(ex);
					}
				}));
			}
			start.countDown();
			List<T> results = new ArrayList<>();
			for (Future<T> future : futures) {
				results.add(future.get(60, TimeUnit.SECONDS));
			}
			return results;
		}
		finally {
			pool.shutdownNow();
		}
	}

	/** One caller's work. */
	@FunctionalInterface
	public interface Caller<T> {

		T call() throws Throwable;

	}

}
