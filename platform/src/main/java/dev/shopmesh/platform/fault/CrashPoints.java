package dev.shopmesh.platform.fault;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash points for fault tests: {@code FAULT_CRASH_POINTS=name:probability,...} (for example
 * {@code relay-after-send:0.05}) makes {@link #reach} halt the JVM at once, as SIGKILL would,
 * with that probability each time the named point is reached. {@code name:once} halts the first
 * time any process reaches it, and never again: the first process to create the marker file
 * {@code name} in {@code FAULT_CRASH_STATE_DIR} (shared by every process of the run) halts. So a
 * run is sure to cross the window once, where a probability may miss it in a short run, and does
 * not crash-loop the restarted process. Unset (always, outside the fault tests) it does nothing.
 * The points a service offers are listed where it calls {@link #reach}.
 */
public final class CrashPoints {
  private static final CrashPoints NONE = new CrashPoints(Map.of(), null);

  /** The probability that stands for "once": never drawn, see {@link #reach}. */
  private static final double ONCE = -1;

  private final Map<String, Double> points;
  private final Path stateDir;

  private CrashPoints(Map<String, Double> points, Path stateDir) {
    this.points = Map.copyOf(points);
    this.stateDir = stateDir;
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
        if (kv.length != 2) {
          throw new NumberFormatException();
        }
        double p = kv[1].equals("once") ? ONCE : Double.parseDouble(kv[1]);
        if (p != ONCE && (p < 0 || p > 1)) {
          throw new NumberFormatException();
        }
        points.put(kv[0], p);
      } catch (RuntimeException e) {
        throw new ConfigException(
            "FAULT_CRASH_POINTS: expected name:probability (0..1) or name:once, comma-separated; got '" + part + "'");
      }
    }
    Path stateDir = null;
    if (points.containsValue(ONCE)) {
      stateDir = Path.of(env.required("FAULT_CRASH_STATE_DIR", "a folder every process of the run shares, for name:once crash points"));
    }
    return new CrashPoints(points, stateDir);
  }

  /** Halts the JVM (no shutdown hooks, no drain) with the probability set for {@code point}. */
  public void reach(String point) {
    Double p = points.get(point);
    if (p == null) {
      return;
    }
    if (p == ONCE ? firstToReach(point) : ThreadLocalRandom.current().nextDouble() < p) {
      System.err.println("FAULT: crash point " + point + " reached: halting");
      Runtime.getRuntime().halt(137);
    }
  }

  private boolean firstToReach(String point) {
    try {
      Files.createDirectories(stateDir);
      Files.createFile(stateDir.resolve(point)); // atomic: one process wins
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (IOException e) {
      System.err.println("FAULT: crash point " + point + " cannot record itself in " + stateDir + ": " + e);
      return false;
    }
  }
}
