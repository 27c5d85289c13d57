package dev.shopmesh.platform.db;

import java.util.Optional;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;
import org.postgresql.util.ServerErrorMessage;

/** Recognises PostgreSQL errors that carry a domain meaning, such as a unique violation. */
public final class PgErrors {
  private static final String UNIQUE_VIOLATION = PSQLState.UNIQUE_VIOLATION.getState();
  private static final String QUERY_CANCELED = PSQLState.QUERY_CANCELED.getState(); // statement_timeout
  private static final String LOCK_NOT_AVAILABLE = "55P03"; // lock_timeout

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

  /**
   * What ran out, when {@code e} is a statement cancelled by {@code statement_timeout} or a lock
   * wait ended by {@code lock_timeout}.
   */
  public static Optional<String> timedOut(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PSQLException pe) {
        if (QUERY_CANCELED.equals(pe.getSQLState())) {
          return Optional.of("statement timeout: " + pe.getMessage());
        }
        if (LOCK_NOT_AVAILABLE.equals(pe.getSQLState())) {
          return Optional.of("lock timeout: " + pe.getMessage());
        }
      }
    }
    return Optional.empty();
  }
}
