package dev.idempotent.autoconfigure.actuate;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration of the {@code idempotency} actuator endpoint
 * ({@code management.endpoint.idempotency.*}).
 */
@ConfigurationProperties("management.endpoint.idempotency")
public class IdempotencyEndpointProperties {

	/**
	 * Whether a record's stored outcome (the response body a duplicate gets) is shown. It may hold
	 * personal data.
	 */
	private boolean showOutcome = false;

	public boolean isShowOutcome() {
		return this.showOutcome;
	}

	public void setShowOutcome(boolean showOutcome) {
		this.showOutcome = showOutcome;
	}

}
