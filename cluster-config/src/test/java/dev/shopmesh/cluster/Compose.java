package dev.shopmesh.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * compose.yaml as Compose reads it, for the parts these tests need: merge keys resolved
 * (SnakeYAML does that), and {@code ${VAR:-default}} interpolated with nothing set in the
 * environment, as on a fresh clone.
 */
final class Compose {
  static final String FILE = "compose.yaml";
  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");

  private static Map<String, Object> model;

  private Compose() {}

  static synchronized Map<String, Object> model() {
    if (model == null) {
      model = Repo.yaml(FILE);
    }
    return model;
  }

  static Map<String, Object> services() {
    return map(model().get("services"));
  }

  static Map<String, Object> service(String name) {
    Object s = services().get(name);
    if (s == null) {
      throw new AssertionError("compose.yaml has no service " + name);
    }
    return map(s);
  }

  /**
   * The service a host name reaches inside compose's network: a service's own name, or one of
   * its network aliases (envoy.yaml names "user-svc-headless", an alias of user-svc).
   */
  static Optional<String> serviceAt(String host) {
    if (services().containsKey(host)) {
      return Optional.of(host);
    }
    for (var e : services().entrySet()) {
      Object networks = map(e.getValue()).get("networks");
      if (networks instanceof Map<?, ?> n) {
        for (Object net : n.values()) {
          if (net instanceof Map<?, ?> spec && spec.get("aliases") instanceof List<?> aliases && aliases.contains(host)) {
            return Optional.of(e.getKey());
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Whether {@code host} reaches compose service {@code service}. */
  static boolean reaches(String host, String service) {
    return serviceAt(host).filter(service::equals).isPresent();
  }

  /** The services built from this repository's Dockerfile as one Java module each. */
  static Map<String, String> javaServiceModules() {
    Map<String, String> modules = new LinkedHashMap<>();
    services()
        .forEach(
            (name, spec) -> buildArgs(name).map(a -> a.get("SERVICE")).ifPresent(m -> modules.put(name, m)));
    return modules;
  }

  static Optional<Map<String, String>> buildArgs(String service) {
    Object build = service(service).get("build");
    if (!(build instanceof Map<?, ?> b) || b.get("args") == null) {
      return Optional.empty();
    }
    Map<String, String> args = new LinkedHashMap<>();
    map(b.get("args")).forEach((k, v) -> args.put(k, interpolate(String.valueOf(v))));
    return Optional.of(args);
  }

  /** A service's environment, interpolated (map or KEY=VALUE list form). */
  static Map<String, String> environment(String service) {
    Object env = service(service).get("environment");
    Map<String, String> vars = new LinkedHashMap<>();
    if (env instanceof Map<?, ?> m) {
      m.forEach((k, v) -> vars.put(String.valueOf(k), v == null ? "" : interpolate(String.valueOf(v))));
    } else if (env instanceof List<?> l) {
      for (Object entry : l) {
        String[] kv = String.valueOf(entry).split("=", 2);
        vars.put(kv[0], kv.length > 1 ? interpolate(kv[1]) : "");
      }
    }
    return vars;
  }

  /** Published ports as {@code [host_ip:]host:container} strings (short syntax). */
  static List<String> ports(String service) {
    Object ports = service(service).get("ports");
    List<String> result = new ArrayList<>();
    if (ports instanceof List<?> l) {
      for (Object p : l) {
        if (p instanceof Map<?, ?> m) {
          result.add((m.get("host_ip") == null ? "" : m.get("host_ip") + ":")
              + (m.get("published") == null ? "" : m.get("published") + ":") + m.get("target"));
        } else {
          result.add(String.valueOf(p));
        }
      }
    }
    return result;
  }

  /** The container port of each published port that has a fixed host port. */
  static Map<Integer, Integer> publishedPorts(String service) {
    Map<Integer, Integer> hostToContainer = new LinkedHashMap<>();
    for (String spec : ports(service)) {
      String[] parts = spec.split("/")[0].split(":");
      if (parts.length >= 2) {
        hostToContainer.put(
            Integer.parseInt(parts[parts.length - 2]), Integer.parseInt(parts[parts.length - 1]));
      }
    }
    return hostToContainer;
  }

  /** Bind mounts as {@code source -> target}; named volumes are left out. */
  static Map<String, String> bindMounts(String service) {
    Map<String, String> mounts = new LinkedHashMap<>();
    Object volumes = service(service).get("volumes");
    if (volumes instanceof List<?> l) {
      for (Object v : l) {
        if (v instanceof Map<?, ?> m) {
          if ("bind".equals(m.get("type"))) {
            mounts.put(String.valueOf(m.get("source")), String.valueOf(m.get("target")));
          }
        } else {
          String[] parts = String.valueOf(v).split(":");
          if (parts.length >= 2 && (parts[0].startsWith(".") || parts[0].startsWith("/"))) {
            mounts.put(parts[0], parts[1]);
          }
        }
      }
    }
    return mounts;
  }

  /** The healthcheck's test command (exec form), without its CMD marker. */
  static List<String> healthcheckCommand(String service) {
    Object hc = service(service).get("healthcheck");
    if (!(hc instanceof Map<?, ?> m) || !(m.get("test") instanceof List<?> test)) {
      throw new AssertionError(service + " has no exec-form healthcheck test");
    }
    List<String> command = test.stream().map(String::valueOf).map(Compose::interpolate).toList();
    if (!command.get(0).equals("CMD")) {
      throw new AssertionError(service + ": expected a [\"CMD\", ...] healthcheck, got " + command);
    }
    return command.subList(1, command.size());
  }

  /** Compose interpolation with an empty environment: defaults apply, {@code $$} is a {@code $}. */
  static String interpolate(String value) {
    Matcher m = VARIABLE.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("$$")) {
        replacement = "$";
      } else if (m.group(2) != null && m.group(2).endsWith("-")) {
        replacement = m.group(3);
      } else if (m.group(2) != null && m.group(2).endsWith("?")) {
        throw new AssertionError("compose.yaml requires " + m.group(1) + " to be set: " + value);
      } else {
        replacement = "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** A compose duration such as {@code 25s}, {@code 1m30s}, {@code 500ms}, in milliseconds. */
  static long millis(String duration) {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(duration);
    long total = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) {
        break;
      }
      long n = Long.parseLong(m.group(1));
      total += switch (m.group(2)) {
        case "ms" -> n;
        case "s" -> n * 1000;
        case "m" -> n * 60_000;
        default -> n * 3_600_000;
      };
      end = m.end();
    }
    if (end != duration.length() || end == 0) {
      throw new IllegalArgumentException("not a duration: " + duration);
    }
    return total;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    if (!(o instanceof Map)) {
      throw new AssertionError("expected a mapping, got " + o);
    }
    return (Map<String, Object>) o;
  }
}
