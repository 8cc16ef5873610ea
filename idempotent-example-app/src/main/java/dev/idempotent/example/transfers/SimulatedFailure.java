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
package dev.idempotent.example.transfers;

/** What a transfer request asks the example to simulate. */
public enum SimulatedFailure {

	/** The transfer goes through (if the funds suffice). */
	NONE,

	/**
	 * The ledger is unreachable on the first attempt for a key: a system failure. The key is released,
	 * so the client's retry runs again, and succeeds.
	 */
	SYSTEM,

	/** The account has insufficient funds: a business failure. The key is kept; a retry replays it. */
	BUSINESS

}
