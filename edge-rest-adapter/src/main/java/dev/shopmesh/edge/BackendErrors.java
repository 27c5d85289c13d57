package dev.shopmesh.edge;

import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's own gRPC client fails in words meant for its operator: "io exception",
 * "Connection refused: localhost/127.0.0.1:50052", "deadline exceeded after 9.99s ...
 * [remote_addr=localhost/127.0.0.1:50052]". Those describe the mesh's insides, and a REST
 * client gets a fixed message per code instead ("the order service is unavailable"); the
 * description goes to the log.
 *
 * <p>A status the service itself sent is kept as it is: the service chose its words for the
 * client. It is told apart by what only a server's answer has: no local cause, and either
 * response headers or trailers with something in them (grpc-java strips {@code grpc-status}
 * and {@code grpc-message} from the trailers, but a trailers-only answer keeps its
 * {@code content-type}, and a normal one had headers).
 */
final class BackendErrors {
  private static final Logger log = LoggerFactory.getLogger(BackendErrors.class);

  private BackendErrors() {}

  /** True when {@code status} was made by the edge's gRPC client, not sent by the service. */
  static boolean local(Status status, Metadata headers, Metadata trailers) {
    if (status.getCause() != null) {
      return true;
    }
    boolean answered = headers != null || (trailers != null && !trailers.keys().isEmpty());
    return !answered;
  }

  /**
   * What a REST client is told for a backend call that ended with {@code status}: the service's
   * own status, or for one the client made, the same code with a fixed message.
   *
   * @param service the gRPC service's full name, such as {@code shopmesh.order.v1.OrderService}
   */
  static Status forClient(String service, String method, Status status, Metadata headers, Metadata trailers) {
    if (status.isOk() || !local(status, headers, trailers)) {
      return status;
    }
    String what = "the " + readable(service);
    String message =
        switch (status.getCode()) {
          case UNAVAILABLE -> what + " is unavailable";
          case DEADLINE_EXCEEDED -> what + " did not answer in time";
          case CANCELLED -> "the call to " + what + " was cancelled";
          case RESOURCE_EXHAUSTED -> what + "'s answer is larger than the edge accepts";
          default -> "the call to " + what + " failed";
        };
    log.warn("{}/{}: {} ({}), told the client '{}'", service, method, status.getCode(), status.getDescription(),
        message, status.getCause());
    return Status.fromCode(status.getCode()).withDescription(message);
  }

  /** {@code shopmesh.order.v1.OrderService} → {@code order service}. */
  static String readable(String service) {
    String simple = service.substring(service.lastIndexOf('.') + 1);
    return simple.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
  }
}
