package dev.shopmesh.edge;

import dev.shopmesh.edge.Contracts.PublicMethod;
import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.ChannelSettings;
import dev.shopmesh.platform.grpc.Channels;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * One channel per backend, shared by REST and the gRPC proxy.
 *
 * <p>A service {@code shopmesh.<name>.v1.X} lives at {@code <NAME>_SVC_TARGET}: a
 * {@code host:port}, a comma-separated list of replicas, or a {@code dns:///} name, balanced
 * round_robin (platform {@link Channels}). Defaults are the local ports of DESIGN.md.
 *
 * <p><b>Retries.</b> Only idempotent methods are retried, and only on UNAVAILABLE: those the
 * contract marks {@code idempotency_level} NO_SIDE_EFFECTS or IDEMPOTENT, or binds to HTTP GET
 * (GetUser, ListOrders, ...). CreateUser, CreateOrder and CancelOrder are never retried by the
 * edge, even though the services deduplicate on {@code request_id}: the edge cannot tell
 * whether a client sent one, and an UNAVAILABLE after the request left may mean it was applied.
 * Retrying those is the client's decision, made safe by its own {@code request_id}. gRPC's
 * transparent retry (a call that never reached a server) still applies.
 */
final class Backends implements AutoCloseable {
  private static final Map<String, String> DEFAULT_TARGETS =
      Map.of(
          "user", "localhost:50051",
          "order", "localhost:50052",
          "payment", "localhost:50053",
          "notification", "localhost:50054");

  private final Map<String, ManagedChannel> byService = new LinkedHashMap<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  Backends(Env env, List<PublicMethod> methods, Duration timeout, Telemetry telemetry) {
    Map<String, List<PublicMethod>> byBackend = new LinkedHashMap<>();
    for (PublicMethod m : methods) {
      byBackend.computeIfAbsent(backend(m.method().getService().getFile().getPackage()), k -> new ArrayList<>()).add(m);
    }
    try {
      byBackend.forEach(
          (backend, ms) -> {
            String prefix = backend.toUpperCase(Locale.ROOT) + "_SVC";
            String defaultTarget = DEFAULT_TARGETS.get(backend);
            String target =
                defaultTarget == null
                    ? env.required(prefix + "_TARGET", "the address of the backend serving " + ms.getFirst().method().getService().getFullName())
                    : env.string(prefix + "_TARGET", defaultTarget);
            ChannelSettings settings =
                new ChannelSettings(target, timeout, env.integer(prefix + "_MAX_ATTEMPTS", 4, 1, 5));
            List<String> services =
                List.copyOf(new TreeSet<>(ms.stream().map(m -> m.method().getService().getFullName()).toList()));
            List<String> retryable = ms.stream().filter(PublicMethod::idempotent).map(PublicMethod::fullName).toList();
            ManagedChannel channel = Channels.create(settings, telemetry, services, retryable);
            channels.add(channel);
            services.forEach(s -> byService.put(s, channel));
          });
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** {@code shopmesh.user.v1} → {@code user}; another package → its last non-version part. */
  static String backend(String protoPackage) {
    String[] parts = protoPackage.split("\\.");
    for (int i = parts.length - 1; i >= 0; i--) {
      if (!parts[i].matches("v\\d+.*")) {
        return parts[i].replaceAll("[^A-Za-z0-9]", "_");
      }
    }
    throw new ConfigException("cannot name a backend for package '" + protoPackage + "'");
  }

  /** The channel to the backend of a public service. */
  Channel channel(String serviceFullName) {
    ManagedChannel channel = byService.get(serviceFullName);
    if (channel == null) {
      throw new IllegalArgumentException("no backend for " + serviceFullName);
    }
    return channel;
  }

  @Override
  public void close() {
    Channels.close(channels);
  }
}
