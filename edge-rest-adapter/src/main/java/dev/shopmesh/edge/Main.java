package dev.shopmesh.edge;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.logging.Logging;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.BindableService;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Java edge: REST/JSON on {@code HTTP_PORT} (8080) transcoded to gRPC, and a gRPC proxy with
 * merged reflection on {@code GRPC_PORT} (9090), both in front of user-svc, order-svc and
 * payment-svc. {@code main} only wires and runs; tests start the same wiring through
 * {@link #start}.
 */
public final class Main {
  public static final String NAME = "edge";
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  /** Runs like every service ({@code ServiceMain}): exit 2 on bad config, drain on SIGTERM. */
  public static void main(String[] args) {
    Logging.install();
    Edge edge;
    try {
      edge = start(Env.system());
    } catch (ConfigException e) {
      System.err.println(NAME + ": cannot start: " + e.getMessage());
      System.exit(2);
      return;
    } catch (RuntimeException e) {
      log.error("{} failed to start", NAME, e);
      System.err.println(NAME + ": cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    log.info("{} serving REST on port {} and gRPC on port {}", NAME, edge.httpPort(), edge.grpcPort());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // The logging system may already be shutting down here: use stderr.
                  System.err.println(NAME + ": shutting down, draining in-flight requests");
                  edge.stop();
                  System.err.println(NAME + ": stopped");
                },
                NAME + "-shutdown"));
    try {
      edge.awaitStopped();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The production wiring: descriptors → routes, backends, gRPC proxy, REST listener. */
  public static Edge start(Env env) {
    EdgeSettings settings = EdgeSettings.from(env);
    Contracts contracts = Contracts.load(settings.descriptorSet());
    RouteTable routes;
    try {
      routes = new RouteTable(contracts.publicMethods());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("the http rules of the descriptor set are not usable: " + e.getMessage());
    }
    byte[] openApi = OpenApi.generate(contracts, routes).getBytes(StandardCharsets.UTF_8);
    Telemetry telemetry = Telemetry.create(NAME, env);
    Backends backends;
    try {
      backends = new Backends(env, contracts.publicMethods(), settings.backendTimeout(), telemetry);
    } catch (RuntimeException e) {
      telemetry.close();
      throw e;
    }
    AtomicBoolean serving = new AtomicBoolean(true);
    List<BindableService> proxies =
        GrpcProxy.services(contracts, backends).stream().map(d -> (BindableService) () -> d).toList();
    GrpcServer grpc;
    try {
      grpc = GrpcServer.start(NAME, GrpcServer.netty(settings.grpc()), settings.grpc(), telemetry, proxies, List.of());
    } catch (RuntimeException e) {
      backends.close();
      telemetry.close();
      throw e;
    }
    RestServer rest;
    try {
      RestGateway gateway =
          new RestGateway(contracts, routes, backends, settings.backendTimeout(), openApi, serving::get, telemetry);
      rest = new RestServer(settings.httpPort(), settings.maxBodyBytes(), settings.idleTimeout(), gateway);
    } catch (RuntimeException e) {
      grpc.stop();
      backends.close();
      telemetry.close();
      throw e;
    }
    return new Edge(rest, grpc, backends, telemetry, settings, serving);
  }
}
