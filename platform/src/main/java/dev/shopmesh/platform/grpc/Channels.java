package dev.shopmesh.platform.grpc;

import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.platform.tls.MeshTls;
import dev.shopmesh.platform.tls.SpiffeIds;
import dev.shopmesh.platform.tls.TlsSettings;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Client channels to peers. Balancing, deadlines and retries live in the channel's service
 * config, not in code around each call: round_robin over every address of the target, a
 * timeout per call, and a retry policy for UNAVAILABLE only. Only services whose methods are
 * all idempotent may be named here (GetUser, Charge and Refund are).
 */
public final class Channels {
  private Channels() {}

  /** A plaintext channel to {@code settings.target()} for calls to {@code services}. */
  public static ManagedChannel create(
      ChannelSettings settings, Telemetry telemetry, List<String> services) {
    return ManagedChannelBuilder.forTarget(StaticNameResolverProvider.normalize(settings.target()))
        .usePlaintext()
        .defaultServiceConfig(serviceConfig(settings, services))
        .enableRetry()
        .intercept(telemetry.clientInterceptor())
        .build();
  }

  /**
   * A mutual-TLS channel to {@code settings.target()}, a peer's internal port: this service's
   * mesh certificate goes to the server, and the server must present one that the mesh CA signed
   * for {@code peerService} ({@code spiffe://shopmesh.local/<peerService>}). The same service
   * config as {@link #create(ChannelSettings, Telemetry, List)}: round_robin, a timeout, retries
   * of UNAVAILABLE. The authority is the peer's name, whatever the target (a list of
   * {@code host:port} has none of its own); host names are not what proves the peer.
   */
  public static ManagedChannel createMutualTls(
      ChannelSettings settings, Telemetry telemetry, List<String> services, TlsSettings tls, String peerService) {
    return Grpc.newChannelBuilder(
            StaticNameResolverProvider.normalize(settings.target()),
            MeshTls.credentials(tls, SpiffeIds.of(peerService)))
        .overrideAuthority(peerService)
        .defaultServiceConfig(serviceConfig(settings, services))
        .enableRetry()
        .intercept(telemetry.clientInterceptor())
        .build();
  }

  /**
   * A plaintext channel for callers that also carry non-idempotent calls (the edge): every
   * method of {@code services} gets the timeout, but only {@code retryableMethods} (full names,
   * {@code package.Service/Method}) are retried on UNAVAILABLE. gRPC's transparent retry of
   * calls that never left the client still applies to all.
   */
  public static ManagedChannel create(
      ChannelSettings settings,
      Telemetry telemetry,
      List<String> services,
      List<String> retryableMethods) {
    return ManagedChannelBuilder.forTarget(StaticNameResolverProvider.normalize(settings.target()))
        .usePlaintext()
        .defaultServiceConfig(serviceConfig(settings, services, retryableMethods))
        .enableRetry()
        .intercept(telemetry.clientInterceptor())
        .build();
  }

  static Map<String, Object> serviceConfig(
      ChannelSettings settings, List<String> services, List<String> retryableMethods) {
    List<Map<String, Object>> methodConfigs = new ArrayList<>();
    if (!retryableMethods.isEmpty() && settings.maxAttempts() > 1) {
      methodConfigs.add(
          Map.of(
              "name",
              retryableMethods.stream()
                  .map(m -> Map.of("service", m.substring(0, m.indexOf('/')), "method", m.substring(m.indexOf('/') + 1)))
                  .toList(),
              "timeout", seconds(settings.timeout()),
              "retryPolicy", retryPolicy(settings)));
    }
    if (!services.isEmpty()) {
      methodConfigs.add(
          Map.of(
              "name", services.stream().map(s -> Map.of("service", s)).toList(),
              "timeout", seconds(settings.timeout())));
    }
    return Map.of(
        "loadBalancingConfig", List.of(Map.of("round_robin", Map.of())),
        "methodConfig", methodConfigs);
  }

  private static Map<String, Object> retryPolicy(ChannelSettings settings) {
    return Map.of(
        "maxAttempts", (double) settings.maxAttempts(),
        "initialBackoff", "0.05s",
        "maxBackoff", "1s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE"));
  }

  /** Closes {@code channel} gracefully, as a resource a {@link GrpcServer} closes on stop. */
  public static AutoCloseable closing(ManagedChannel channel) {
    return () -> close(List.of(channel));
  }

  /**
   * Shuts every channel down, lets calls in flight finish for up to 5 seconds (all channels at
   * once), then cancels what is left.
   */
  public static void close(Collection<ManagedChannel> channels) {
    channels.forEach(ManagedChannel::shutdown);
    for (ManagedChannel c : channels) {
      try {
        if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
          c.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        c.shutdownNow();
      }
    }
  }

  static Map<String, Object> serviceConfig(ChannelSettings settings, List<String> services) {
    Map<String, Object> methodConfig = new HashMap<>();
    methodConfig.put("name", services.stream().map(s -> Map.of("service", s)).toList());
    methodConfig.put("timeout", seconds(settings.timeout()));
    if (settings.maxAttempts() > 1) { // gRPC rejects a retry policy of one attempt
      methodConfig.put(
          "retryPolicy",
          Map.of(
              "maxAttempts", (double) settings.maxAttempts(),
              "initialBackoff", "0.05s",
              "maxBackoff", "1s",
              "backoffMultiplier", 2.0,
              "retryableStatusCodes", List.of("UNAVAILABLE")));
    }
    return Map.of(
        "loadBalancingConfig", List.of(Map.of("round_robin", Map.of())),
        "methodConfig", List.of(methodConfig));
  }

  private static String seconds(Duration d) {
    return (d.toNanos() / 1e9) + "s";
  }
}
