package dev.shopmesh.loadgen;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code ./mesh bench} was asked for.
 *
 * @param scenarios what to measure, in order (the ceiling always runs first)
 * @param load closed loop ({@code --concurrency}) or open loop ({@code --rate})
 * @param duration the measured part of each scenario
 * @param warmup the part before it, run at the same load and thrown away
 * @param meshWarmup a warm-up of the mesh before the first scenario; empty: 30 s for a mesh the
 *     run starts, none for a running one
 * @param timeout the deadline of every call
 * @param users how many users the setup creates
 * @param grpcChannels gRPC channels (HTTP/2 connections) per gRPC target
 * @param mesh whether to start a mesh or use one that runs
 * @param meshReplicas JVMs per service in a mesh the run starts
 * @param targets where the mesh answers (for {@link MeshMode#RUNNING})
 * @param out where the results go
 * @param root the repository root, where the built jars are ({@code MESH_ROOT})
 * @param home the mesh's data folder ({@code MESH_HOME})
 */
record BenchOptions(
    List<Scenario> scenarios,
    Load load,
    Duration duration,
    Duration warmup,
    Optional<Duration> meshWarmup,
    Duration timeout,
    int users,
    int grpcChannels,
    MeshMode mesh,
    int meshReplicas,
    Targets targets,
    Path out,
    Path root,
    Path home) {

  /** Whether to start a mesh of our own. */
  enum MeshMode {
    /** Use the mesh at the given (or default) addresses when user-svc answers there; else start one. */
    AUTO,
    /** Always start a mesh of our own, on free ports, and stop it afterwards. */
    START,
    /** Never start one: the targets must be up. */
    RUNNING
  }

  static final String USAGE =
      """
      usage: mesh bench [options]

      Measures the mesh under load: a raw gRPC ceiling first, then each scenario, each reported
      also as a ratio to that ceiling. One progress line per second; at the end a table, and
      result.json, latency.svg and HdrHistogram logs in the output folder.

      scenarios (--scenarios a,b,...; default: all, in this order)
        grpc-get-user        GetUser over gRPC straight to user-svc
        rest-get-user        GET /v1/users/{userId} through the edge
        grpc-create-order    CreateOrder over gRPC through the edge's proxy (the full saga)
        rest-create-order    POST /v1/orders through the edge (the full saga)
        mix                  45% rest-get-user, 35% grpc-get-user, 10% of each create-order
        The ceiling is an empty unary call to an echo server started inside the generator,
        over loopback, with the same client settings as the gRPC scenarios. Users for the
        scenarios are created first (--users N, default 200); that setup is not timed.

      load (one of; default --concurrency 16)
        --concurrency N      closed loop: N callers, each sends when its last call answered
        --rate R             open loop: R requests/s on schedule; latency counts from when a
                             request was due (coordinated-omission correct)
        --max-in-flight M    open loop: at most M requests outstanding (default 1000); waiting
                             for a slot is charged to latency
        --duration D         measured time per scenario (default 30s)
        --warmup W           time before it, at the same load, not measured (default 10s)
        --mesh-warmup M      once, before the first scenario: every scenario in equal parts,
                             not measured (default 30s for a mesh the run starts, else 0)
        --timeout T          deadline of every call (default 5s)
        --grpc-channels K    HTTP/2 connections per gRPC target (default 2)
        Durations take ms, s or m: 500ms, 20s, 2m.

      targets
        --mesh auto          (default) use the mesh at the targets if user-svc answers there,
                             else start one; any target flag below implies --mesh running
        --mesh start         start a mesh of our own (./mesh up's launcher and the Java edge,
                             fresh databases, free ports), and stop it at the end
        --mesh running       use the mesh at the targets; never start one
        --mesh-replicas N    JVMs per service in a mesh of our own (default 2, as ./mesh up)
        --user-grpc H:P      user-svc (default localhost:50051); a list H1:P1,H2:P2 balances
                             round_robin over replicas
        --edge-grpc H:P      the edge's gRPC proxy (default localhost:9090)
        --edge-http URL      the edge's REST/JSON (default http://localhost:8080)
        A scenario whose target does not answer is skipped, and the report says so.

      output
        --out DIR            default $MESH_HOME/bench/<timestamp>/ (.mesh/bench/<timestamp>/)

      examples
        ./mesh bench
        ./mesh bench --scenarios grpc-get-user,rest-get-user --duration 20s --warmup 5s
        ./mesh bench --rate 500 --scenarios rest-create-order
        ./mesh bench --edge-http http://localhost:8080 --edge-grpc localhost:9090 \\
                     --user-grpc localhost:50051""";

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m)?");

  static BenchOptions parse(String[] args, Map<String, String> env) {
    List<Scenario> scenarios = List.of(Scenario.values());
    Integer concurrency = null;
    Double rate = null;
    int maxInFlight = 1000;
    Duration duration = Duration.ofSeconds(30);
    Duration warmup = Duration.ofSeconds(10);
    Optional<Duration> meshWarmup = Optional.empty();
    Duration timeout = Duration.ofSeconds(5);
    int users = 200;
    int channels = 2;
    MeshMode mesh = MeshMode.AUTO;
    int replicas = 2;
    boolean targetGiven = false;
    String userGrpc = Targets.LOCAL.userGrpc();
    String edgeGrpc = Targets.LOCAL.edgeGrpc();
    URI edgeHttp = Targets.LOCAL.edgeHttp();
    Path out = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      switch (flag) {
        case "--scenarios" -> scenarios = scenarios(value(args, ++i, flag));
        case "--concurrency" -> concurrency = intValue(flag, value(args, ++i, flag), 1, 100_000);
        case "--rate" -> rate = rateValue(value(args, ++i, flag));
        case "--max-in-flight" -> maxInFlight = intValue(flag, value(args, ++i, flag), 1, 100_000);
        case "--duration" -> duration = duration(flag, value(args, ++i, flag), false);
        case "--warmup" -> warmup = duration(flag, value(args, ++i, flag), true);
        case "--mesh-warmup" -> meshWarmup = Optional.of(duration(flag, value(args, ++i, flag), true));
        case "--timeout" -> timeout = duration(flag, value(args, ++i, flag), false);
        case "--users" -> users = intValue(flag, value(args, ++i, flag), 1, 1_000_000);
        case "--grpc-channels" -> channels = intValue(flag, value(args, ++i, flag), 1, 64);
        case "--mesh" -> mesh = meshMode(value(args, ++i, flag));
        case "--mesh-replicas" -> replicas = intValue(flag, value(args, ++i, flag), 1, 9);
        case "--user-grpc" -> {
          userGrpc = hostPort(flag, value(args, ++i, flag));
          targetGiven = true;
        }
        case "--edge-grpc" -> {
          edgeGrpc = hostPort(flag, value(args, ++i, flag));
          targetGiven = true;
        }
        case "--edge-http" -> {
          edgeHttp = httpUrl(value(args, ++i, flag));
          targetGiven = true;
        }
        case "--out" -> out = Path.of(value(args, ++i, flag));
        default -> throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    if (concurrency != null && rate != null) {
      throw new IllegalArgumentException("--concurrency (closed loop) and --rate (open loop) exclude each other");
    }
    if (targetGiven && mesh == MeshMode.AUTO) {
      mesh = MeshMode.RUNNING;
    }
    if (targetGiven && mesh == MeshMode.START) {
      throw new IllegalArgumentException("--mesh start picks its own addresses; drop the target flags");
    }
    Load load =
        rate != null ? new Load.Open(rate, maxInFlight) : new Load.Closed(concurrency == null ? 16 : concurrency);
    Path home = Path.of(env.getOrDefault("MESH_HOME", ".mesh")).toAbsolutePath();
    Path root = Path.of(env.getOrDefault("MESH_ROOT", ".")).toAbsolutePath();
    if (out == null) {
      out = home.resolve("bench").resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    }
    return new BenchOptions(
        scenarios,
        load,
        duration,
        warmup,
        meshWarmup,
        timeout,
        users,
        channels,
        mesh,
        replicas,
        new Targets(userGrpc, edgeGrpc, edgeHttp),
        out.toAbsolutePath(),
        root,
        home);
  }

  static boolean wantsHelp(String[] args) {
    return Arrays.stream(args).anyMatch(a -> a.equals("--help") || a.equals("-h") || a.equals("help"));
  }

  private static List<Scenario> scenarios(String raw) {
    LinkedHashSet<Scenario> picked = new LinkedHashSet<>();
    for (String id : raw.split(",")) {
      if (!id.isBlank()) {
        picked.add(Scenario.byId(id.trim()));
      }
    }
    if (picked.isEmpty()) {
      throw new IllegalArgumentException("--scenarios needs at least one of: " + Scenario.ids());
    }
    return new ArrayList<>(picked);
  }

  private static MeshMode meshMode(String raw) {
    return switch (raw) {
      case "auto" -> MeshMode.AUTO;
      case "start" -> MeshMode.START;
      case "running" -> MeshMode.RUNNING;
      default -> throw new IllegalArgumentException("--mesh takes auto, start or running, got '" + raw + "'");
    };
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  private static int intValue(String flag, String raw, int min, int max) {
    try {
      int v = Integer.parseInt(raw.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(flag + " must be a number from " + min + " to " + max + ", got '" + raw + "'");
  }

  private static double rateValue(String raw) {
    try {
      double v = Double.parseDouble(raw.trim());
      if (v > 0 && v <= 1_000_000) {
        return v;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("--rate must be requests per second, above 0, got '" + raw + "'");
  }

  static Duration duration(String flag, String raw, boolean zeroAllowed) {
    Matcher m = DURATION.matcher(raw.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      Duration d =
          switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofSeconds(n);
          };
      if (zeroAllowed || !d.isZero()) {
        return d;
      }
    }
    throw new IllegalArgumentException(flag + " must be a duration such as 500ms, 20s or 2m, got '" + raw + "'");
  }

  /** {@code host:port}, or a comma-separated list of them (replicas, balanced round_robin). */
  private static String hostPort(String flag, String raw) {
    for (String one : raw.split(",", -1)) {
      if (!one.matches("[^\\s:/,]+:\\d{1,5}") && !one.matches("\\[[0-9a-fA-F:]+\\]:\\d{1,5}")) {
        throw new IllegalArgumentException(flag + " must be host:port or a list h1:p1,h2:p2, got '" + raw + "'");
      }
    }
    return raw;
  }

  private static URI httpUrl(String raw) {
    try {
      URI uri = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
      if ("http".equals(uri.getScheme()) && uri.getHost() != null) {
        return uri;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw new IllegalArgumentException("--edge-http must be a URL such as http://localhost:8080, got '" + raw + "'");
  }
}
