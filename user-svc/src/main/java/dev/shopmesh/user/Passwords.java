package dev.shopmesh.user;

import dev.shopmesh.platform.error.FieldViolations;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;

/**
 * Password hashing: Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1; 16-byte salt,
 * 32-byte hash), by spring-security-crypto's {@link Argon2PasswordEncoder}, stored as its PHC
 * string {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}.
 *
 * <p>Each hash holds 19 MiB for tens of milliseconds, so at most {@link #slots()} run at once
 * (from the heap: one per 48 MiB, 1 to 4); a caller that cannot get a slot within
 * {@link #WAIT} is told RESOURCE_EXHAUSTED to retry, rather than queueing without bound.
 */
final class Passwords {
  static final int MIN_LENGTH = 8;
  static final int MAX_LENGTH = 128;
  static final int MEMORY_KIB = 19 * 1024;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;
  static final Duration WAIT = Duration.ofSeconds(2);

  /** Thrown when no hashing slot came free in time. */
  static final class Busy extends RuntimeException {
    Busy() {
      super("too many password checks at once", null, false, false);
    }
  }

  private final Argon2PasswordEncoder encoder = new Argon2PasswordEncoder(16, 32, PARALLELISM, MEMORY_KIB, ITERATIONS);
  private final Semaphore slots;
  private final int slotCount;
  /** Checked against when the email is unknown, so that both cases cost one hash. */
  private final String dummyHash;

  Passwords() {
    this(defaultSlots());
  }

  Passwords(int slots) {
    this.slotCount = slots;
    this.slots = new Semaphore(slots, true);
    this.dummyHash = encoder.encode("not anyone's password: a stand-in for unknown emails");
  }

  static int defaultSlots() {
    long heap = Runtime.getRuntime().maxMemory();
    return (int) Math.max(1, Math.min(4, heap / (48L * 1024 * 1024)));
  }

  int slots() {
    return slotCount;
  }

  /** Checks the length rule of NIST 800-63B: 8 to 128 characters, anything allowed. */
  static void validate(String password, String field, FieldViolations violations) {
    if (violations.check(!password.isEmpty(), field, "is required")) {
      int length = password.codePointCount(0, password.length());
      violations.check(
          length >= MIN_LENGTH && length <= MAX_LENGTH,
          field,
          "must be " + MIN_LENGTH + " to " + MAX_LENGTH + " characters");
    }
  }

  String hash(String password) {
    return withSlot(() -> encoder.encode(password));
  }

  /** Whether {@code password} matches {@code hash}; a null hash costs the same and fails. */
  boolean matches(String password, String hash) {
    boolean ok = withSlot(() -> encoder.matches(password, hash == null ? dummyHash : hash));
    return ok && hash != null;
  }

  private <T> T withSlot(java.util.function.Supplier<T> work) {
    boolean acquired;
    try {
      acquired = slots.tryAcquire(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Busy();
    }
    if (!acquired) {
      throw new Busy();
    }
    try {
      return work.get();
    } finally {
      slots.release();
    }
  }
}
