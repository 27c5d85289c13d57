package dev.shopmesh.platform.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed access to environment variables (12-factor configuration).
 *
 * <p>A blank value counts as unset. A malformed value fails fast with a {@link ConfigException}
 * that names the variable, what it expects and what it got.
 *
 * <p>An {@code Env} remembers which names were asked for ({@link #namesRead()}), so that tests
 * can check that a deployment sets only variables its service really reads.
 */
public final class Env {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

  private final Map<String, String> vars;
  private final Set<String> read;

  private Env(Map<String, String> vars, Set<String> read) {
    this.vars = Map.copyOf(vars);
    this.read = read;
  }

  private Env(Map<String, String> vars) {
    this(vars, ConcurrentHashMap.newKeySet());
  }

  /** The process environment. */
  public static Env system() {
    return new Env(System.getenv());
  }

  public static Env of(Map<String, String> vars) {
    return new Env(vars);
  }

  /** A copy of this environment with {@code name} set to {@code value}. */
  public Env with(String name, String value) {
    var copy = new HashMap<>(vars);
    copy.put(name, value);
    return new Env(copy, read);
  }

  /** A copy of this environment with every entry of {@code more} set. */
  public Env with(Map<String, String> more) {
    var copy = new HashMap<>(vars);
    copy.putAll(more);
    return new Env(copy, read);
  }

  /** Every variable, as read by code that takes whole families (OTEL_*); marks them read. */
  public Map<String, String> withPrefix(String prefix) {
    Map<String, String> matching = new HashMap<>();
    vars.forEach(
        (k, v) -> {
          if (k.startsWith(prefix)) {
            read.add(k);
            matching.put(k, v);
          }
        });
    return matching;
  }

  /** The names asked for so far, set or not. */
  public Set<String> namesRead() {
    return new TreeSet<>(read);
  }

  public Optional<String> optional(String name) {
    read.add(name);
    String value = vars.get(name);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  public String string(String name, String defaultValue) {
    return optional(name).orElse(defaultValue);
  }

  public String required(String name, String what) {
    return optional(name)
        .orElseThrow(() -> new ConfigException(name + " is not set: it must be " + what));
  }

  public int integer(String name, int defaultValue, int min, int max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      int value = Integer.parseInt(raw.get());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(
        name + " must be an integer from " + min + " to " + max + ", got '" + raw.get() + "'");
  }

  public long longValue(String name, long defaultValue, long min, long max) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    try {
      long value = Long.parseLong(raw.get());
      if (value >= min && value <= max) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(
        name + " must be an integer from " + min + " to " + max + ", got '" + raw.get() + "'");
  }

  public int port(String name, int defaultValue) {
    return integer(name, defaultValue, 0, 65535);
  }

  public boolean bool(String name, boolean defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return switch (raw.get().toLowerCase()) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ConfigException(name + " must be true or false, got '" + raw.get() + "'");
    };
  }

  /** A duration such as {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 {@code PT5S}. */
  public Duration duration(String name, Duration defaultValue) {
    Optional<String> raw = optional(name);
    if (raw.isEmpty()) {
      return defaultValue;
    }
    return parseDuration(raw.get())
        .orElseThrow(
            () ->
                new ConfigException(
                    name + " must be a duration such as 500ms, 5s or 2m, got '" + raw.get() + "'"));
  }

  static Optional<Duration> parseDuration(String text) {
    Matcher m = DURATION.matcher(text);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "ms" : m.group(2);
      return Optional.of(
          switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
          });
    }
    try {
      return Optional.of(Duration.parse(text));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
