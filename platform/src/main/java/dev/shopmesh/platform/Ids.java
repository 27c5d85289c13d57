package dev.shopmesh.platform;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
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
}
