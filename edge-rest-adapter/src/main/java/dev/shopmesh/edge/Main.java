package dev.shopmesh.edge;

import dev.shopmesh.platform.auth.AuthSettings;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServiceMain;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.BindableService;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Java edge: REST/JSON on {@code HTTP_PORT} (8080) transcoded to gRPC, and a gRPC proxy with
 * merged reflection on {@code GRPC_PORT} (9090), both in front of user-svc, order-svc and
 * payment-svc. {@code main} only wires and runs; tests start the same wiring through
 * {@link #start}.
 */
public final class Main {
  public static final String NAME = "edge";

  private Main() {}

  /** Runs like every service: exit 2 on bad config, drain on SIGTERM. */
  public static void main(String[] args) {
    ServiceMain.run(NAME, Main::start);
  }

  /**
   * The platform's gRPC listener (calls per connection, keep-alive policy, message size,
   * connection age) plus what an edge facing anyone needs: idle connections close, and a client
   * that resets streams as fast as it opens them (HTTP/2 "rapid reset") is cut off.
   */
  static io.grpc.netty.NettyServerBuilder grpcListener(EdgeSettings settings) {
    return GrpcServer.netty(settings.grpc())
        .maxConnectionIdle(settings.idleTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .maxRstFramesPerWindow(200, 10);
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
    AuthSettings auth = AuthSettings.from(env);
    Telemetry telemetry = Telemetry.create(NAME, env);
    // The same verifier as every service: the edge turns a missing or bad token away itself.
    TokenVerifier verifier = TokenVerifier.remote(auth);
    Backends backends;
    try {
      backends = new Backends(env, contracts.publicMethods(), settings.backendTimeout(), telemetry);
    } catch (RuntimeException e) {
      telemetry.close();
      throw e;
    }
    AtomicBoolean serving = new AtomicBoolean(true);
    SignInLimiter limiter = new SignInLimiter(settings.signInRatePerMinute());
    List<BindableService> proxies =
        GrpcProxy.services(contracts, backends).stream()
            .map(d -> (BindableService) () -> io.grpc.ServerInterceptors.intercept(d, limiter))
            .toList();
    GrpcServer grpc;
    try {
      grpc = GrpcServer.start(NAME, grpcListener(settings), settings.grpc(), telemetry, verifier, proxies, List.of());
    } catch (RuntimeException e) {
      backends.close();
      telemetry.close();
      throw e;
    }
    RestServer rest;
    try {
      RestGateway gateway =
          new RestGateway(contracts, routes, backends, settings.backendTimeout(), openApi, serving::get, verifier, limiter, telemetry);
      rest = new RestServer(settings, gateway);
    } catch (RuntimeException e) {
      grpc.stop();
      backends.close();
      telemetry.close();
      throw e;
    }
    return new Edge(rest, grpc, backends, telemetry, settings, serving);
  }
}
