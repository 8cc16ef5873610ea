package dev.idempotent.example.transfers;

import java.math.BigDecimal;
import java.net.URI;
import java.security.Principal;
import java.util.List;
import java.util.Objects;

import dev.idempotent.core.DuplicatePolicy;
import dev.idempotent.example.transfers.Ledger.InsufficientFundsException;
import dev.idempotent.example.transfers.Ledger.LedgerUnavailableException;
import dev.idempotent.spring.IdempotenceService;
import dev.idempotent.spring.Idempotent;
import jakarta.validation.Valid;
import org.jspecify.annotations.Nullable;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
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
 * {@code POST /transfers}: shows the line between a system failure and a business failure.
 * <ul>
 * <li>System failure (the ledger is unreachable): the code calls {@link IdempotenceService#delete}
 * and answers 503, so the client's retry runs again.</li>
 * <li>Business failure (insufficient funds): the exception is listed in {@code keepOn}, so the key is
 * kept and a retry does not run again; it gets the same exception, and so the same 422, replayed.</li>
 * </ul>
 * A double-click waits for the first transfer's answer ({@code awaitCompletion}) rather than getting
 * a 409.
 */
@RestController
class TransferController {

	static final String PROBLEM_PREFIX = "urn:idempotent-example:problem:";

	private final Ledger ledger;

	private final IdempotenceService idempotence;

	TransferController(Ledger ledger, IdempotenceService idempotence) {
		this.ledger = ledger;
		this.idempotence = idempotence;
	}

	@PostMapping("/transfers")
	@Idempotent(name = "transfers", onDuplicate = DuplicatePolicy.REPLAY, keepOn = InsufficientFundsException.class,
			awaitCompletion = "${example.transfers.await-completion:2s}")
	ResponseEntity<?> transfer(@Valid @RequestBody TransferRequest request,
			@RequestHeader(name = "Idempotency-Key", required = false) @Nullable String key, Principal principal)
			throws InterruptedException {
		// @Idempotent refuses a request without a key before this method runs.
		String attemptKey = Objects.requireNonNull(key, "Idempotency-Key");
		if (request.processingMillis() != null && request.processingMillis() > 0) {
			Thread.sleep(request.processingMillis());
		}
		try {
			Transfer transfer = this.ledger.transfer(request, attemptKey, principal.getName());
			return ResponseEntity.created(URI.create("/transfers/" + transfer.id())).body(transfer);
		}
		catch (LedgerUnavailableException ex) {
			// Nothing happened: release the key so the client's retry runs again.
			this.idempotence.delete(attemptKey);
			HttpStatus status = HttpStatus.SERVICE_UNAVAILABLE;
			return ResponseEntity.status(status)
				.contentType(MediaType.APPLICATION_PROBLEM_JSON)
				.header(HttpHeaders.RETRY_AFTER, "1")
				.body(problem(status, "ledger-unavailable", "Ledger unavailable", ex));
		}
	}

	// A kept failure: thrown by the first call, and rebuilt and thrown again for each duplicate.
	@ExceptionHandler(InsufficientFundsException.class)
	ResponseEntity<ProblemDetail> insufficientFunds(InsufficientFundsException ex) {
		HttpStatus status = HttpStatus.UNPROCESSABLE_CONTENT;
		return ResponseEntity.status(status)
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.body(problem(status, "insufficient-funds", "Insufficient funds", ex));
	}

	@GetMapping("/transfers")
	List<Transfer> list(Principal principal) {
		return this.ledger.transfersOf(principal.getName());
	}

	@GetMapping("/accounts/{account}/balance")
	BigDecimal balance(@PathVariable String account) {
		return this.ledger.balance(account);
	}

	private static ProblemDetail problem(HttpStatus status, String slug, String title, RuntimeException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, ex.getMessage());
		problem.setType(URI.create(PROBLEM_PREFIX + slug));
		problem.setTitle(title);
		// Set here rather than by Spring MVC at write time, so a replay carries it too.
		problem.setInstance(URI.create("/transfers"));
		return problem;
	}

}
