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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  /** The outcome of an answered CreateOrder, from the order's state. */
  static String order(String state) {
    return switch (state) {
      case "CONFIRMED" -> Operation.OK;
      case "PENDING_PAYMENT" -> Operation.PENDING;
      case "PAYMENT_DECLINED" -> Operation.DECLINED;
      default -> "order " + state;
    };
  }

  private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([A-Z_]+)\"");

  /** A REST CreateOrder's outcome: its HTTP status, then the state in the returned order. */
  static String httpOrder(int status, String body) {
    if (status < 200 || status >= 300) {
      return http(status);
    }
    Matcher m = STATE.matcher(body);
    return m.find() ? order(m.group(1)) : "order without a state";
  }

  static String http(int status) {
    return status >= 200 && status < 300 ? Operation.OK : "HTTP " + status;
  }
}
