package dev.shopmesh.platform.error;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import dev.shopmesh.platform.db.PgErrors;
import java.sql.SQLTransientConnectionException;
import org.jdbi.v3.core.ConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions thrown by a service method become a gRPC status.
 *
 * <ul>
 *   <li>a {@link StatusRuntimeException} (built by {@link Errors}) goes out as it is, details
 *       and all;
 *   <li>a database that cannot hand out a connection, or a statement cancelled by
 *       {@code statement_timeout} or {@code lock_timeout}, becomes UNAVAILABLE, which clients
 *       may retry;
 *   <li>anything else is a bug: it is logged with its stack trace and the client sees INTERNAL
 *       with a fixed message, so that no internals leak.
 * </ul>
 */
public final class ErrorMapping implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(call, headers);
    } catch (RuntimeException e) {
      close(call, e);
      return new ServerCall.Listener<>() {};
    }
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }

      @Override
      public void onReady() {
        try {
          super.onReady();
        } catch (RuntimeException e) {
          close(call, e);
        }
      }
    };
  }

  private static void close(ServerCall<?, ?> call, RuntimeException e) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Status status;
    Metadata trailers;
    StatusRuntimeException sre = statusIn(e);
    if (sre != null) {
      status = sre.getStatus();
      trailers = sre.getTrailers() == null ? new Metadata() : sre.getTrailers();
    } else if (isConnectionShortage(e)) {
      log.warn("{}: no database connection: {}", method, e.getMessage());
      status = Status.UNAVAILABLE.withDescription("database unavailable, retry later");
      trailers = new Metadata();
    } else if (PgErrors.timedOut(e).isPresent()) {
      // DB_STATEMENT_TIMEOUT or DB_LOCK_TIMEOUT ran out: the database is busy, not broken.
      log.warn("{}: {}", method, PgErrors.timedOut(e).get());
      status = Status.UNAVAILABLE.withDescription("the database is busy, retry later");
      trailers = new Metadata();
    } else {
      log.error("{}: unexpected error", method, e);
      status = Status.INTERNAL.withDescription("internal error");
      trailers = new Metadata();
    }
    try {
      call.close(status, trailers);
    } catch (IllegalStateException alreadyClosed) {
      log.debug("{}: call already closed when mapping {}", method, e.toString());
    }
  }

  /** A status thrown as it is, or wrapped (Jdbi wraps what a statement customizer throws). */
  private static StatusRuntimeException statusIn(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException sre) {
        return sre;
      }
    }
    return null;
  }

  private static boolean isConnectionShortage(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException || t instanceof ConnectionException) {
        return true;
      }
    }
    return false;
  }
}
