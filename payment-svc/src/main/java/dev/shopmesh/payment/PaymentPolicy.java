package dev.shopmesh.payment;

import dev.shopmesh.platform.config.Env;
import java.util.Optional;

/**
 * Whether a charge is accepted. The shop's stand-in for a card network: it declines,
 * deterministically, any amount above {@code PAYMENT_LIMIT_MINOR} (default 100000).
 */
record PaymentPolicy(long limitMinor) {
  static PaymentPolicy from(Env env) {
    return new PaymentPolicy(env.longValue("PAYMENT_LIMIT_MINOR", 100_000, 0, Long.MAX_VALUE));
  }

  /** Why {@code amountMinor} is declined, or empty when it may be captured. */
  Optional<String> declineReason(long amountMinor) {
    return amountMinor > limitMinor
        ? Optional.of("amount " + amountMinor + " exceeds the payment limit of " + limitMinor)
        : Optional.empty();
  }
}
