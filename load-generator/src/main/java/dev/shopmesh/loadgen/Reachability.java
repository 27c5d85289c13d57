package dev.shopmesh.loadgen;

import dev.shopmesh.platform.grpc.HealthProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;

/** Whether a target answers: gRPC health SERVING, or an HTTP port that accepts connections. */
final class Reachability {
  private Reachability() {}

  /** Every address of {@code target} ({@code host:port} or a comma-separated list) is SERVING. */
  static boolean grpcServing(String target, Duration wait) {
    for (String hostPort : target.split(",")) {
      if (!serving(hostPort.trim(), wait)) {
        return false;
      }
    }
    return true;
  }

  private static boolean serving(String hostPort, Duration wait) {
    int colon = hostPort.lastIndexOf(':');
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(hostPort.substring(colon + 1));
    try {
      return HealthProbe.awaitServing(host, port, wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static boolean httpListening(URI base, Duration wait) {
    try (Socket socket = new Socket()) {
      socket.connect(
          new InetSocketAddress(base.getHost(), base.getPort() == -1 ? 80 : base.getPort()), (int) wait.toMillis());
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static boolean answers(Endpoint endpoint, Targets targets, Duration wait) {
    return switch (endpoint) {
      case USER_GRPC -> grpcServing(targets.userGrpc(), wait);
      case EDGE_GRPC -> grpcServing(targets.edgeGrpc(), wait);
      case EDGE_HTTP -> httpListening(targets.edgeHttp(), wait);
    };
  }
}
