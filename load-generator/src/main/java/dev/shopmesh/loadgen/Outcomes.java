package dev.shopmesh.loadgen;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Names a failed request for the errors-by-status table. */
final class Outcomes {
  private Outcomes() {}

  static String of(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return switch (cause) {
      case StatusRuntimeException e -> e.getStatus().getCode().name();
      case StatusException e -> e.getStatus().getCode().name();
      case ConnectException e -> "CONNECT_FAILED";
      case TimeoutException e -> "TIMEOUT";
      case ClosedChannelException e -> "CONNECTION_CLOSED";
      case CancellationException e -> "CANCELLED";
      default -> {
        Status status = Status.fromThrowable(cause);
        yield status.getCode() != Status.Code.UNKNOWN
            ? status.getCode().name()
            : cause.getClass().getSimpleName();
      }
    };
  }

  static String http(int status) {
    return status >= 200 && status < 300 ? Operation.OK : "HTTP " + status;
  }
}
