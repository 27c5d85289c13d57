package dev.shopmesh.platform.db;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.StatementCustomizer;

/**
 * Statements made for a gRPC call end with the call's deadline: a statement that would outlive
 * it is cancelled then (JDBC's query timeout, which pgjdbc carries out with a cancel request),
 * and one that would start after it does not start. Statements with no call around them (the
 * reconciler, start-up) keep {@code DB_STATEMENT_TIMEOUT} only, which bounds every statement.
 */
final class CallDeadlines implements StatementCustomizer {
  @Override
  public void beforeExecution(PreparedStatement statement, StatementContext ctx) throws SQLException {
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      return;
    }
    long millis = deadline.timeRemaining(TimeUnit.MILLISECONDS);
    if (millis <= 0) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("the call's deadline passed before its database work was done")
          .asRuntimeException();
    }
    // JDBC counts whole seconds: round up, so that the deadline, not the timeout, ends the call.
    statement.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, (millis + 999) / 1000));
  }
}
