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
import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Objects;

import dev.idempotent.example.Problems;
import dev.idempotent.example.transfers.Ledger.InsufficientFundsException;
import dev.idempotent.example.transfers.Ledger.LedgerException;
import dev.idempotent.example.transfers.Ledger.LedgerUnavailableException;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /transfers}: shows the exception policy. Every {@link LedgerException} is a business
 * failure, kept with the key ({@code keepOn}): insufficient funds is a final answer, and a retry gets
 * the same 422 again. Its subclass {@link LedgerUnavailableException} is a system failure, released
 * ({@code releaseOn}, the closer match): nothing happened, so the client's retry runs again. A
 * double-click waits for the first transfer's answer ({@code awaitCompletion}) rather than getting a
 * 409.
 */
@RestController
class TransferController {

	private final Ledger ledger;

	TransferController(Ledger ledger) {
		this.ledger = ledger;
	}

	@PostMapping("/transfers")
	@Idempotent(name = "transfers", keepOn = LedgerException.class, releaseOn = LedgerUnavailableException.class,
			awaitCompletion = "${example.transfers.await-completion:2s}")
	ResponseEntity<Transfer> transfer(@Valid @RequestBody TransferRequest request,
			@RequestHeader(name = "Idempotency-Key", required = false) @Nullable String key, Principal principal)
			throws InterruptedException {
		// @Idempotent refuses a request without a key before this method runs.
		String attemptKey = Objects.requireNonNull(key, "Idempotency-Key");
		if (request.processingMillis() != null && request.processingMillis() > 0) {
			Thread.sleep(request.processingMillis());
		}
		Transfer transfer = this.ledger.transfer(request, attemptKey, principal.getName());
		return ResponseEntity.created(URI.create("/transfers/" + transfer.id())).body(transfer);
	}

	// Answers the first call and, the failure being kept, every replay of it alike.
	@ExceptionHandler(InsufficientFundsException.class)
	ResponseEntity<ProblemDetail> insufficientFunds(InsufficientFundsException ex) {
		ResponseEntity<ProblemDetail> answer = Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "insufficient-funds",
				"Insufficient funds", ex.getMessage(), "/transfers");
		ProblemDetail problem = Objects.requireNonNull(answer.getBody());
		problem.setProperty("account", ex.getAccount());
		problem.setProperty("requested", ex.getRequested());
		problem.setProperty("available", ex.getAvailable());
		return answer;
	}

	@ExceptionHandler(LedgerUnavailableException.class)
	ResponseEntity<ProblemDetail> ledgerUnavailable(LedgerUnavailableException ex) {
		return Problems.of(HttpStatus.SERVICE_UNAVAILABLE, "ledger-unavailable", "Ledger unavailable",
				ex.getMessage(), "/transfers");
	}

	@GetMapping("/transfers")
	List<Transfer> list(Principal principal) {
		return this.ledger.transfersOf(principal.getName());
	}

	@GetMapping("/accounts/{account}/balance")
	BigDecimal balance(@PathVariable String account) {
		return this.ledger.balance(account);
	}

}
