package dev.shopmesh.platform;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import dev.shopmesh.platform.error.FieldViolations;
import java.util.Optional;
import java.util.UUID;

/** Server-generated identifiers: UUIDv7, so that ids sort by creation time. */
public final class Ids {
  private static final TimeBasedEpochGenerator V7 = Generators.timeBasedEpochGenerator();

  private Ids() {}

  public static UUID newId() {
    return V7.generate();
  }

  /** The UUID in {@code text}, if it is one in canonical 36-character form. */
  public static Optional<UUID> parse(String text) {
    if (text == null || text.length() != 36) {
      return Optional.empty();
    }
    try {
      UUID id = UUID.fromString(text);
      return id.toString().equalsIgnoreCase(text) ? Optional.of(id) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The id in {@code raw}, recording a violation of {@code field} when it is not a UUID.
   * Empty means absent.
   */
  public static Optional<UUID> parse(String raw, FieldViolations violations, String field, String what) {
    Optional<UUID> id = parse(raw);
    violations.check(id.isPresent(), field, "must be " + what + " (a UUID)");
    return id;
  }

  /** An AIP-155 request_id: optional, but a UUID when given. */
  public static Optional<UUID> requestId(String raw, FieldViolations violations) {
    return raw.isEmpty() ? Optional.empty() : parse(raw, violations, "request_id", "a request id");
  }
}
