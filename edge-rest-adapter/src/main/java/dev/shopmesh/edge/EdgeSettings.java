package dev.shopmesh.edge;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.ServerSettings;
import java.time.Duration;
import java.util.Optional;

/**
 * How the edge listens and what it accepts, all from the environment.
 *
 * @param httpPort {@code HTTP_PORT} (8080): REST/JSON; 0 picks a free port
 * @param grpc the gRPC listener: {@code GRPC_PORT} (9090) plus the platform's {@code GRPC_*},
 *     {@code SHUTDOWN_NOTICE} and {@code SHUTDOWN_DRAIN} settings
 * @param maxBodyBytes {@code EDGE_MAX_BODY_BYTES} (1 MiB, Envoy's default buffer limit): larger
 *     REST bodies get 413
 * @param backendTimeout {@code EDGE_BACKEND_TIMEOUT} (10s): the deadline of every backend call; a
 *     client's shorter {@code grpc-timeout} (REST) or deadline (gRPC) wins
 * @param descriptorSet {@code DESCRIPTOR_SET}: a FileDescriptorSet file; unset means the one on
 *     the classpath at {@code /shopmesh.protobin}, built with the contracts
 * @param idleTimeout {@code EDGE_HTTP_IDLE_TIMEOUT} (5m): an HTTP connection with no request in
 *     flight is closed after this long; on the gRPC listener, a connection with no call
 * @param maxConnections {@code EDGE_MAX_CONNECTIONS} (10000): REST connections beyond this are
 *     answered 503 with {@code Retry-After} and closed
 * @param maxRequestsInFlight {@code EDGE_MAX_REQUESTS_IN_FLIGHT} (1000): REST requests beyond
 *     this many at once are answered 503 with {@code Retry-After}
 * @param requestHeadersTimeout {@code EDGE_REQUEST_HEADERS_TIMEOUT} (10s, Envoy's
 *     {@code request_headers_timeout} in this repository): from a request's first byte to the end
 *     of its headers; then 408 and the connection closes (slowloris)
 * @param requestBodyTimeout {@code EDGE_REQUEST_BODY_TIMEOUT} (30s): from the end of the
 *     headers to the end of the body; then 408 and the connection closes
 * @param signInRatePerMinute {@code EDGE_SIGN_IN_RATE} (30): sign-ups and sign-ins a minute per
 *     client address (a token bucket with a burst of as many); 0 turns the limit off
 */
public record EdgeSettings(
    int httpPort,
    ServerSettings grpc,
    int maxBodyBytes,
    Duration backendTimeout,
    Optional<String> descriptorSet,
    Duration idleTimeout,
    int maxConnections,
    int maxRequestsInFlight,
    Duration requestHeadersTimeout,
    Duration requestBodyTimeout,
    int signInRatePerMinute) {

  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final int DEFAULT_GRPC_PORT = 9090;

  public static EdgeSettings from(Env env) {
    ServerSettings platform = ServerSettings.from(env, DEFAULT_GRPC_PORT);
    ServerSettings grpc = platform.withPort(env.port("GRPC_PORT", DEFAULT_GRPC_PORT));
    return new EdgeSettings(
        env.port("HTTP_PORT", DEFAULT_HTTP_PORT),
        grpc,
        env.integer("EDGE_MAX_BODY_BYTES", 1 << 20, 1, Integer.MAX_VALUE),
        env.duration("EDGE_BACKEND_TIMEOUT", Duration.ofSeconds(10)),
        env.optional("DESCRIPTOR_SET"),
        env.duration("EDGE_HTTP_IDLE_TIMEOUT", Duration.ofMinutes(5)),
        env.integer("EDGE_MAX_CONNECTIONS", 10_000, 1, Integer.MAX_VALUE),
        env.integer("EDGE_MAX_REQUESTS_IN_FLIGHT", 1000, 1, Integer.MAX_VALUE),
        positive(env, "EDGE_REQUEST_HEADERS_TIMEOUT", Duration.ofSeconds(10)),
        positive(env, "EDGE_REQUEST_BODY_TIMEOUT", Duration.ofSeconds(30)),
        env.integer("EDGE_SIGN_IN_RATE", 30, 0, 1_000_000));
  }

  private static Duration positive(Env env, String name, Duration defaultValue) {
    Duration d = env.duration(name, defaultValue);
    if (d.isZero() || d.isNegative()) {
      throw new dev.shopmesh.platform.config.ConfigException(name + " must be longer than 0, got '" + d + "'");
    }
    return d;
  }
}
