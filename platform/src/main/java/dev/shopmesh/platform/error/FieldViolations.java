package dev.shopmesh.platform.error;

import com.google.rpc.BadRequest.FieldViolation;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Collects what is wrong with a request, one violation per bad field, so that a client learns
 * every problem at once. Field paths use proto field names ({@code user.email},
 * {@code order.items[0].quantity}), as AIP-193 asks.
 */
public final class FieldViolations {
  private final List<FieldViolation> violations = new ArrayList<>();

  /** Records a violation of {@code field} unless {@code ok}. Returns {@code ok}. */
  public boolean check(boolean ok, String field, String description) {
    if (!ok) {
      add(field, description);
    }
    return ok;
  }

  public FieldViolations add(String field, String description) {
    violations.add(
        FieldViolation.newBuilder().setField(field).setDescription(description).build());
    return this;
  }

  public boolean isEmpty() {
    return violations.isEmpty();
  }

  public List<FieldViolation> list() {
    return List.copyOf(violations);
  }

  /** Throws INVALID_ARGUMENT with every violation, if there is any. */
  public void throwIfAny(Errors errors) {
    if (!violations.isEmpty()) {
      throw errors.invalidArgument(this);
    }
  }

  /** A one-line summary, for example {@code "invalid user.email: must be an email address"}. */
  public String message() {
    return violations.stream()
        .map(v -> "invalid " + v.getField() + ": " + v.getDescription())
        .collect(Collectors.joining("; "));
  }
}
