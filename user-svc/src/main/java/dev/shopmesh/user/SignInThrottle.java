package dev.shopmesh.user;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Limits failed sign-ins, per account (the email, lower-cased, whether or not it exists) and per
 * client address, in fixed windows of {@link #WINDOW} counted in the database (so every replica
 * counts the same). Once a window holds {@link #ACCOUNT_LIMIT} failures of one account, or
 * {@link #ADDRESS_LIMIT} from one address, further sign-ins there are refused with
 * RESOURCE_EXHAUSTED until the window ends, right password or not. A success clears the
 * account's count.
 */
final class SignInThrottle {
  static final int ACCOUNT_LIMIT = 5;
  static final int ADDRESS_LIMIT = 20;
  static final Duration WINDOW = Duration.ofMinutes(15);

  private final SessionStore store;
  private final int accountLimit;
  private final int addressLimit;
  private final Duration window;

  SignInThrottle(SessionStore store) {
    this(store, ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW);
  }

  SignInThrottle(SessionStore store, int accountLimit, int addressLimit, Duration window) {
    this.store = store;
    this.accountLimit = accountLimit;
    this.addressLimit = addressLimit;
    this.window = window;
  }

  static String account(String email) {
    return "account:" + email.toLowerCase(Locale.ROOT);
  }

  static String address(String address) {
    return "address:" + address;
  }

  /** When sign-ins of this account or from this address may be tried again, if not now. */
  Optional<Duration> blocked(String email, String clientAddress) {
    Instant until = later(null, windowEnd(account(email), accountLimit));
    until = later(until, windowEnd(address(clientAddress), addressLimit));
    if (until == null) {
      return Optional.empty();
    }
    Duration left = Duration.between(Instant.now(), until);
    return Optional.of(left.isNegative() ? Duration.ofSeconds(1) : left);
  }

  /** The end of the subject's window, if it has reached {@code limit}. */
  private Instant windowEnd(String subject, int limit) {
    return store.failures(subject, window).filter(f -> f.count() >= limit).map(SessionStore.Failures::windowEnd).orElse(null);
  }

  private static Instant later(Instant a, Instant b) {
    return a == null ? b : b == null || a.isAfter(b) ? a : b;
  }

  void failed(String email, String clientAddress) {
    store.recordFailure(List.of(account(email), address(clientAddress)), window);
  }

  void succeeded(String email) {
    store.clearFailures(account(email));
  }
}
