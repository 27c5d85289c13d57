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
 *     flight is closed after this long
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
        env.integer("EDGE_SIGN_IN_RATE", 30, 0, 1_000_000));
  }
}
