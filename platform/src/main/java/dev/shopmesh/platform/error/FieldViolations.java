package dev.shopmesh.platform.error;

import com.google.rpc.BadRequest.FieldViolation;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Collects what is wrong with a request, one violation per bad field, so that a client learns
 * every problem at once. Field paths use proto field names ({@code user.email},
 * {@code order.items[0].quantity}), as AIP-193 asks.
 *
 * <p><b>Bounded.</b> What a client sends decides how many violations there are, and they travel
 * back in the status message and the {@code grpc-status-details-bin} trailer, where grpc-java
 * clients accept 8 KiB of metadata at most (a larger trailer reaches them as INTERNAL). So at
 * most {@link #MAX_LISTED} violations, and {@link #MAX_LISTED_BYTES} of their text, are kept
 * (each field and description cut to {@link #MAX_TEXT} characters), the rest are only counted,
 * and the message names the first {@link #MAX_IN_MESSAGE}, at most {@link #MAX_MESSAGE}
 * characters, followed by "and K more". Both trailers together then stay under 6 KiB whatever
 * the request, even when every character is non-ASCII (percent-encoded in {@code grpc-message},
 * base64 in the details).
 */
public final class FieldViolations {
  /** Violations kept for the BadRequest detail. */
  public static final int MAX_LISTED = 20;

  /** Violations named in the one-line message. */
  public static final int MAX_IN_MESSAGE = 3;

  /** Longest field path or description kept, in characters. */
  public static final int MAX_TEXT = 120;

  /** UTF-8 bytes of field paths and descriptions kept, over all listed violations. */
  public static final int MAX_LISTED_BYTES = 2000;

  /** Longest message before the "and K more", in characters. */
  public static final int MAX_MESSAGE = 200;

  private final List<FieldViolation> violations = new ArrayList<>();
  private int total;
  private int listedBytes;

  /** Records a violation of {@code field} unless {@code ok}. Returns {@code ok}. */
  public boolean check(boolean ok, String field, String description) {
    if (!ok) {
      add(field, description);
    }
    return ok;
  }

  public FieldViolations add(String field, String description) {
    total++;
    if (violations.size() < MAX_LISTED) {
      var violation =
          FieldViolation.newBuilder().setField(cut(field, MAX_TEXT)).setDescription(cut(description, MAX_TEXT)).build();
      int bytes = violation.getFieldBytes().size() + violation.getDescriptionBytes().size();
      if (listedBytes + bytes <= MAX_LISTED_BYTES) {
        violations.add(violation);
        listedBytes += bytes;
      }
    }
    return this;
  }

  public boolean isEmpty() {
    return total == 0;
  }

  /** How many violations were recorded, listed or not. */
  public int count() {
    return total;
  }

  /** The first {@link #MAX_LISTED} violations. */
  public List<FieldViolation> list() {
    return List.copyOf(violations);
  }

  /** Throws INVALID_ARGUMENT with the violations, if there is any. */
  public void throwIfAny(Errors errors) {
    if (total > 0) {
      throw errors.invalidArgument(this);
    }
  }

  /**
   * A one-line summary, for example {@code "invalid user.email: must be an email address"}, or
   * {@code "invalid order.items[0].sku: is required; ...; and 297 more (20 listed in the
   * details)"}.
   */
  public String message() {
    String named =
        cut(
            violations.stream()
                .limit(MAX_IN_MESSAGE)
                .map(v -> "invalid " + v.getField() + ": " + v.getDescription())
                .collect(Collectors.joining("; ")),
            MAX_MESSAGE);
    int more = total - Math.min(MAX_IN_MESSAGE, violations.size());
    if (more == 0) {
      return named;
    }
    return named + "; and " + more + " more (" + violations.size() + " listed in the details)";
  }

  private static String cut(String text, int max) {
    if (text.length() <= max) {
      return text;
    }
    int end = max - 1;
    if (Character.isHighSurrogate(text.charAt(end - 1))) {
      end--;
    }
    return text.substring(0, end) + "…";
  }
}
