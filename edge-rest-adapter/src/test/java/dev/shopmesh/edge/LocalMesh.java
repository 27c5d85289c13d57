package dev.shopmesh.edge;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The services this suite needs, started in this JVM through their production wiring, with
 * the edge (also its production wiring) in front of them. One per test JVM.
 *
 * <p>user-svc takes gRPC messages of at most 16 KiB, far below the edge's 1 MiB body limit, so
 * that RESOURCE_EXHAUSTED (429) is reachable with a real request. payment-svc declines charges
 * above its default limit of 100000 minor units.
 */
final class LocalMesh implements AutoCloseable {
  static final int USER_SVC_MAX_MESSAGE_BYTES = 16 * 1024;

  static final long PAYMENT_LIMIT_MINOR = 100_000;

  private final List<GrpcServer> services;
  final Edge edge;

  private LocalMesh(List<GrpcServer> services, Edge edge) {
    this.services = services;
    this.edge = edge;
  }

  static LocalMesh start() {
    return start(Map.of());
  }

  /** The same, with {@code everyProcess} added to every service's and the edge's environment. */
  static LocalMesh start(Map<String, String> everyProcess) {
    List<GrpcServer> started = new ArrayList<>();
    try {
      GrpcServer users =
          dev.shopmesh.user.Main.start(
              TestEnv.service(
                  "edge_users",
                  with(everyProcess, Map.of("GRPC_MAX_INBOUND_MESSAGE_BYTES", Integer.toString(USER_SVC_MAX_MESSAGE_BYTES)))));
      started.add(users);
      Map<String, String> paymentEnv = new HashMap<>(TestTls.vars("payment-svc"));
      paymentEnv.put("INTERNAL_PORT", "0");
      GrpcServer payments =
          dev.shopmesh.payment.Main.start(TestEnv.service("edge_payments", with(everyProcess, paymentEnv)));
      started.add(payments);
      GrpcServer orders =
          dev.shopmesh.order.Main.start(
              TestEnv.service(
                  "edge_orders",
                  with(
                      everyProcess,
                      with(
                          TestTls.vars("order-svc"),
                          Map.of(
                              "USER_SVC_TARGET", "localhost:" + users.port(),
                              // Charge and Refund: the internal port, over mutual TLS
                              "PAYMENT_SVC_TARGET", "localhost:" + payments.internalPort().orElseThrow())))));
      started.add(0, orders); // stops first: it calls the other two
      // notification-svc without Kafka: it serves ListNotifications, and consumes nothing.
      GrpcServer notifications = dev.shopmesh.notification.Main.start(TestEnv.service("edge_notifications", everyProcess));
      started.add(notifications);
      Map<String, String> env = new HashMap<>(with(everyProcess, edgeEnv()));
      env.put("USER_SVC_TARGET", "localhost:" + users.port());
      env.put("ORDER_SVC_TARGET", "localhost:" + orders.port());
      env.put("PAYMENT_SVC_TARGET", "localhost:" + payments.port());
      env.put("NOTIFICATION_SVC_TARGET", "localhost:" + notifications.port());
      return new LocalMesh(started, Main.start(Env.of(env)));
    } catch (RuntimeException e) {
      started.forEach(GrpcServer::stop);
      throw e;
    }
  }

  private static Map<String, String> with(Map<String, String> base, Map<String, String> more) {
    Map<String, String> all = new HashMap<>(base);
    all.putAll(more);
    return all;
  }

  /** What every edge in these tests runs with: free ports, a short drain. */
  static Map<String, String> edgeEnv() {
    Map<String, String> env = new HashMap<>(TestIdentity.shared().env());
    // The contract tests sign many users up from one address: the sign-in rate limit has a test
    // of its own (AccessControlTest).
    env.putAll(Map.of("HTTP_PORT", "0", "GRPC_PORT", "0", "SHUTDOWN_DRAIN", "2s", "EDGE_SIGN_IN_RATE", "0"));
    return env;
  }

  /**
   * {@link #edgeEnv()} with every backend on a port nothing listens on, plus {@code extra}: an
   * edge to start on its own, for what it does before (or instead of) reaching a backend.
   */
  static Map<String, String> edgeEnvWithoutBackends(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(edgeEnv());
    String closed = "localhost:" + closedPort();
    env.put("USER_SVC_TARGET", closed);
    env.put("ORDER_SVC_TARGET", closed);
    env.put("PAYMENT_SVC_TARGET", closed);
    env.putAll(extra);
    return env;
  }

  /** The gRPC port of the service that serves {@code fullServiceName} (shopmesh.user.v1.UserService...). */
  int servicePort(String fullServiceName) {
    String prefix = fullServiceName.substring(0, fullServiceName.lastIndexOf('.'));
    String name =
        switch (prefix) {
          case "shopmesh.user.v1" -> "user-svc";
          case "shopmesh.order.v1" -> "order-svc";
          case "shopmesh.payment.v1" -> "payment-svc";
          case "shopmesh.notification.v1" -> "notification-svc";
          default -> throw new IllegalArgumentException(fullServiceName);
        };
    return services.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow().port();
  }

  String restBaseUrl() {
    return "http://localhost:" + edge.httpPort();
  }

  int grpcPort() {
    return edge.grpcPort();
  }

  /** A port nothing listens on (bound, then released). */
  static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    edge.stop();
    services.forEach(GrpcServer::stop);
  }
}
