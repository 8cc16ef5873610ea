package dev.idempotent.example.transfers;

import java.math.BigDecimal;
import java.net.URI;
import java.security.Principal;
import java.util.List;

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
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /transfers}: shows the line the library leaves to business code between a system
 * failure and a business failure.
 * <ul>
 * <li>System failure (the ledger is unreachable): the code calls {@link IdempotenceService#delete}
 * and answers 503, so the client's retry runs again.</li>
 * <li>Business failure (insufficient funds): the code answers 422 and keeps the key, so a retry does
 * not run again; it gets the same 422, replayed.</li>
 * </ul>
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
	@Idempotent(name = "transfers", onDuplicate = DuplicatePolicy.REPLAY)
	ResponseEntity<?> transfer(@Valid @RequestBody TransferRequest request,
			@RequestHeader(name = "Idempotency-Key", required = false) @Nullable String key, Principal principal) {
		try {
			Transfer transfer = this.ledger.transfer(request, String.valueOf(key), principal.getName());
			return ResponseEntity.created(URI.create("/transfers/" + transfer.id())).body(transfer);
		}
		catch (InsufficientFundsException ex) {
			return problem(HttpStatus.UNPROCESSABLE_CONTENT, "insufficient-funds", "Insufficient funds", ex).build();
		}
		catch (LedgerUnavailableException ex) {
			// Nothing happened: release the key so the client's retry runs again.
			this.idempotence.delete(String.valueOf(key));
			return problem(HttpStatus.SERVICE_UNAVAILABLE, "ledger-unavailable", "Ledger unavailable", ex)
				.header(HttpHeaders.RETRY_AFTER, "1")
				.build();
		}
	}

	@GetMapping("/transfers")
	List<Transfer> list(Principal principal) {
		return this.ledger.transfersOf(principal.getName());
	}

	@GetMapping("/accounts/{account}/balance")
	BigDecimal balance(@PathVariable String account) {
		return this.ledger.balance(account);
	}

	private static ProblemResponse problem(HttpStatus status, String slug, String title, RuntimeException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, ex.getMessage());
		problem.setType(URI.create(PROBLEM_PREFIX + slug));
		problem.setTitle(title);
		// Set here rather than by Spring MVC at write time, so a replay carries it too.
		problem.setInstance(URI.create("/transfers"));
		return new ProblemResponse(
				ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON), problem);
	}

	private record ProblemResponse(ResponseEntity.BodyBuilder response, ProblemDetail problem) {

		ProblemResponse header(String name, String value) {
			this.response.header(name, value);
			return this;
		}

		ResponseEntity<?> build() {
			return this.response.body(this.problem);
		}

	}

}
