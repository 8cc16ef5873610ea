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

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.stereotype.Service;

/**
 * Accounts and the transfers between them. Every account opens with {@link #OPENING_BALANCE}.
 */
@Service
public class Ledger {

	/** The balance of an account before its first transfer. */
	public static final BigDecimal OPENING_BALANCE = new BigDecimal("1000");

	private final Map<String, BigDecimal> balances = new ConcurrentHashMap<>();

	private final List<Transfer> transfers = new CopyOnWriteArrayList<>();

	private final Set<String> outagesSimulated = ConcurrentHashMap.newKeySet();

	/**
	 * Moves money between two accounts.
	 * @throws InsufficientFundsException a business failure: the source cannot pay
	 * @throws LedgerUnavailableException a system failure: nothing was moved
	 */
	public synchronized Transfer transfer(TransferRequest request, String attemptKey, String owner) {
		if (request.failure() == SimulatedFailure.SYSTEM && this.outagesSimulated.add(owner + "\n" + attemptKey)) {
			throw new LedgerUnavailableException(
					"The ledger is temporarily unavailable; nothing was transferred. Retry later.");
		}
		BigDecimal balance = balance(request.from());
		if (request.failure() == SimulatedFailure.BUSINESS || balance.compareTo(request.amount()) < 0) {
			throw new InsufficientFundsException(request.from(), request.amount(), balance);
		}
		this.balances.put(request.from(), balance.subtract(request.amount()));
		this.balances.put(request.to(), balance(request.to()).add(request.amount()));
		Transfer transfer = new Transfer(UUID.randomUUID().toString(), request.from(), request.to(), request.amount(),
				owner);
		this.transfers.add(transfer);
		return transfer;
	}

	public BigDecimal balance(String account) {
		return this.balances.getOrDefault(account, OPENING_BALANCE);
	}

	public List<Transfer> transfersOf(String owner) {
		return this.transfers.stream().filter((transfer) -> transfer.owner().equals(owner)).toList();
	}

	/**
	 * A failure of the ledger. Kept with the key by default: the answer is final, and a retry gets
	 * the same one, rebuilt with its message and fields.
	 */
	public abstract static class LedgerException extends RuntimeException {

		protected LedgerException(String message) {
			super(message);
		}

	}

	/**
	 * A business failure: the source cannot pay. Its constructor formats the message from the account,
	 * and its fields go into the problem the client gets: a replay keeps both as they were.
	 */
	public static class InsufficientFundsException extends LedgerException {

		private final String account;

		private final BigDecimal requested;

		private final BigDecimal available;

		public InsufficientFundsException(String account, BigDecimal requested, BigDecimal available) {
			super("Account " + account + " has insufficient funds for this transfer.");
			this.account = account;
			this.requested = requested;
			this.available = available;
		}

		public String getAccount() {
			return this.account;
		}

		public BigDecimal getRequested() {
			return this.requested;
		}

		public BigDecimal getAvailable() {
			return this.available;
		}

	}

	/** A system failure: nothing was moved, and a retry may succeed. */
	public static class LedgerUnavailableException extends LedgerException {

		public LedgerUnavailableException(String message) {
			super(message);
		}

	}

}
