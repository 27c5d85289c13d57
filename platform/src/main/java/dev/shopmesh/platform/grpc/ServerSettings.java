package dev.shopmesh.platform.grpc;

import dev.shopmesh.platform.config.Env;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How a service's gRPC server listens, what it accepts, and how it drains.
 *
 * @param port {@code PORT}; 0 picks a free port
 * @param maxInboundMessageBytes {@code GRPC_MAX_INBOUND_MESSAGE_BYTES}: larger requests are
 *     rejected with RESOURCE_EXHAUSTED before they reach the service
 * @param maxConcurrentCallsPerConnection {@code GRPC_MAX_CONCURRENT_CALLS_PER_CONNECTION}
 * @param keepAliveTime {@code GRPC_KEEPALIVE_TIME}: ping an idle client after this long
 * @param keepAliveTimeout {@code GRPC_KEEPALIVE_TIMEOUT}: drop it when the ping goes unanswered
 * @param permitKeepAliveTime {@code GRPC_PERMIT_KEEPALIVE_TIME}: clients may ping this often
 * @param shutdownNotice {@code SHUTDOWN_NOTICE}: how long health reports NOT_SERVING before the
 *     server stops taking new calls, so that load balancers can move away first
 * @param shutdownDrain {@code SHUTDOWN_DRAIN}: how long in-flight calls get to finish
 * @param maxConnectionAge {@code GRPC_MAX_CONNECTION_AGE}: a connection older than this (plus
 *     grpc-java's own random ±10%) is sent a GOAWAY, so that the client reconnects and
 *     re-resolves its target. grpc-java clients resolve {@code dns:///} names only when a
 *     connection breaks, so without it a client never sees replicas added after it connected
 *     (a Kubernetes scale-out, a compose {@code --scale}). 0 means never.
 * @param maxConnectionAgeGrace {@code GRPC_MAX_CONNECTION_AGE_GRACE}: how long calls already
 *     running on such a connection get to finish before it is closed; longer than the
 *     longest deadline a caller sets (Envoy's routes allow 30 s)
 * @param bindHost {@code BIND_HOST}: the address every listener of the process binds (gRPC,
 *     the edge's HTTP, user-svc's JWKS). Loopback by default, so that {@code ./mesh up} is not
 *     reachable from the network; the container image sets {@code 0.0.0.0} (compose and
 *     Kubernetes reach the services on their own addresses)
 */
public record ServerSettings(
    int port,
    int maxInboundMessageBytes,
    int maxConcurrentCallsPerConnection,
    Duration keepAliveTime,
    Duration keepAliveTimeout,
    Duration permitKeepAliveTime,
    Duration shutdownNotice,
    Duration shutdownDrain,
    Duration maxConnectionAge,
    Duration maxConnectionAgeGrace,
    String bindHost) {

  /** Only this machine may connect unless {@code BIND_HOST} says otherwise. */
  public static final String DEFAULT_BIND_HOST = "127.0.0.1";

  /** Two minutes: a scaled-out replica gets its share of every client within about that. */
  public static final Duration DEFAULT_MAX_CONNECTION_AGE = Duration.ofMinutes(2);

  public static final Duration DEFAULT_MAX_CONNECTION_AGE_GRACE = Duration.ofSeconds(40);

  /** What a listener that relays other services' requests (the edge) accepts by default. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 1 << 20;

  /** Settings with the 1 MiB default message limit (the edge, which relays every service's). */
  public static ServerSettings from(Env env, int defaultPort) {
    return from(env, defaultPort, DEFAULT_MAX_INBOUND_MESSAGE_BYTES);
  }

  /**
   * @param defaultMaxInboundMessageBytes the service's own default for {@code
   *     GRPC_MAX_INBOUND_MESSAGE_BYTES}: a few times its largest valid request, so that a
   *     client cannot make it parse (and allocate for) more than it could ever accept
   */
  public static ServerSettings from(Env env, int defaultPort, int defaultMaxInboundMessageBytes) {
    return new ServerSettings(
        env.port("PORT", defaultPort),
        env.integer(
            "GRPC_MAX_INBOUND_MESSAGE_BYTES", defaultMaxInboundMessageBytes, 1024, Integer.MAX_VALUE),
        env.integer("GRPC_MAX_CONCURRENT_CALLS_PER_CONNECTION", 1000, 1, Integer.MAX_VALUE),
        env.duration("GRPC_KEEPALIVE_TIME", Duration.ofMinutes(1)),
        env.duration("GRPC_KEEPALIVE_TIMEOUT", Duration.ofSeconds(20)),
        env.duration("GRPC_PERMIT_KEEPALIVE_TIME", Duration.ofSeconds(10)),
        env.duration("SHUTDOWN_NOTICE", Duration.ZERO),
        env.duration("SHUTDOWN_DRAIN", Duration.ofSeconds(10)),
        env.duration("GRPC_MAX_CONNECTION_AGE", DEFAULT_MAX_CONNECTION_AGE),
        env.duration("GRPC_MAX_CONNECTION_AGE_GRACE", DEFAULT_MAX_CONNECTION_AGE_GRACE),
        env.string("BIND_HOST", DEFAULT_BIND_HOST));
  }

  /** The same settings on another port (the edge's gRPC listener reads {@code GRPC_PORT}). */
  public ServerSettings withPort(int newPort) {
    return new ServerSettings(
        newPort,
        maxInboundMessageBytes,
        maxConcurrentCallsPerConnection,
        keepAliveTime,
        keepAliveTimeout,
        permitKeepAliveTime,
        shutdownNotice,
        shutdownDrain,
        maxConnectionAge,
        maxConnectionAgeGrace,
        bindHost);
  }

  /** {@code BIND_HOST} and {@code port}: where a listener of this process binds. */
  public InetSocketAddress address(int port) {
    return new InetSocketAddress(bindHost, port);
  }
}
