package dev.shopmesh.platform.grpc;

import dev.shopmesh.platform.config.Env;
import java.time.Duration;

/**
 * How a service calls one peer.
 *
 * @param target where the peer is: {@code dns:///user-svc:50051} (every address DNS returns),
 *     {@code host:port}, or a comma-separated list {@code host1:port1,host2:port2}; calls are
 *     balanced round_robin over the addresses
 * @param timeout the deadline of each call, retries included
 * @param maxAttempts attempts per call for UNAVAILABLE (1 means no retry)
 */
public record ChannelSettings(String target, Duration timeout, int maxAttempts) {

  /**
   * Reads {@code <PREFIX>_TARGET}, {@code <PREFIX>_TIMEOUT} and {@code <PREFIX>_MAX_ATTEMPTS},
   * for example {@code USER_SVC_TARGET}.
   */
  public static ChannelSettings from(
      Env env, String prefix, String defaultTarget, Duration defaultTimeout) {
    return new ChannelSettings(
        env.string(prefix + "_TARGET", defaultTarget),
        env.duration(prefix + "_TIMEOUT", defaultTimeout),
        env.integer(prefix + "_MAX_ATTEMPTS", 4, 1, 5));
  }
}
