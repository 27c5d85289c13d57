package dev.shopmesh.platform.fault;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash points for fault tests: {@code FAULT_CRASH_POINTS=name:probability,...} (for example
 * {@code relay-after-send:0.05}) makes {@link #reach} halt the JVM at once, as SIGKILL would,
 * with that probability each time the named point is reached. Unset (always, outside the fault
 * tests) it does nothing. The points a service offers are listed where it calls {@link #reach}.
 */
public final class CrashPoints {
  private static final CrashPoints NONE = new CrashPoints(Map.of());

  private final Map<String, Double> points;

  private CrashPoints(Map<String, Double> points) {
    this.points = Map.copyOf(points);
  }

  public static CrashPoints none() {
    return NONE;
  }

  public static CrashPoints from(Env env) {
    String spec = env.string("FAULT_CRASH_POINTS", "");
    if (spec.isBlank()) {
      return NONE;
    }
    Map<String, Double> points = new HashMap<>();
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split(":");
      try {
        double p = Double.parseDouble(kv[1]);
        if (kv.length != 2 || p < 0 || p > 1) {
          throw new NumberFormatException();
        }
        points.put(kv[0], p);
      } catch (RuntimeException e) {
        throw new ConfigException(
            "FAULT_CRASH_POINTS: expected name:probability (0..1), comma-separated; got '" + part + "'");
      }
    }
    return new CrashPoints(points);
  }

  /** Halts the JVM (no shutdown hooks, no drain) with the probability set for {@code point}. */
  public void reach(String point) {
    Double p = points.get(point);
    if (p != null && ThreadLocalRandom.current().nextDouble() < p) {
      System.err.println("FAULT: crash point " + point + " reached: halting");
      Runtime.getRuntime().halt(137);
    }
  }
}
