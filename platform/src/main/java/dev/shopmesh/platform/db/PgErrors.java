package dev.shopmesh.platform.db;

import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Recognises PostgreSQL errors that carry a domain meaning, such as a unique violation. */
public final class PgErrors {
  private static final String UNIQUE_VIOLATION = "23505";

  private PgErrors() {}

  /** The name of the unique constraint or index that {@code e} violated, if that is what it is. */
  public static Optional<String> uniqueViolation(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PSQLException pe && UNIQUE_VIOLATION.equals(pe.getSQLState())) {
        ServerErrorMessage m = pe.getServerErrorMessage();
        return Optional.of(m == null || m.getConstraint() == null ? "" : m.getConstraint());
      }
    }
    return Optional.empty();
  }
}
