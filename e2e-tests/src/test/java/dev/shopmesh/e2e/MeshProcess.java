package dev.shopmesh.e2e;

import dev.shopmesh.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ./mesh up} started the way a user starts it, from the repository root, on free ports
 * and with a data folder of its own; its console output is kept for assertions.
 */
final class MeshProcess implements AutoCloseable {
  /**
   * {@code env --default-signal}: the mesh starts with every signal at its default, whatever
   * this JVM inherited. Under {@code nohup} (or a background job of a non-interactive shell)
   * SIGHUP (SIGINT) is ignored, an ignored signal stays ignored across exec, and a JVM cannot
   * handle a signal it was started ignoring: the launcher would never see the SIGHUP the tests
   * send. That is what nohup asks for, so the launcher is right to go on; the tests need the
   * terminal's behaviour. Empty where env lacks the option (coreutils before 8.31).
   */
  private static final List<String> DEFAULT_SIGNALS = defaultSignals();

  private static List<String> defaultSignals() {
    try {
      Process probe = new ProcessBuilder("env", "--default-signal", "true").redirectErrorStream(true).start();
      probe.getInputStream().readAllBytes();
      return probe.waitFor() == 0 ? List.of("env", "--default-signal") : List.of();
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  final int pgPort;
  final int servicePortBase;
  final int httpPort;
  final int grpcPort;
  final int replicas;
  final int kafkaPort;
  static final String ADMIN_EMAIL = "e2e-admin@example.com";
  static final String ADMIN_PASSWORD = "e2e-admin-" + java.util.UUID.randomUUID();
  final int jwksPort;
  final Path home;
  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();

  MeshProcess(int replicas) throws IOException {
    this(replicas, Map.of(), null);
  }

  /** {@code env} goes to the launcher, and so to every process it starts. */
  MeshProcess(int replicas, Map<String, String> env) throws IOException {
    this(replicas, env, null);
  }

  /**
   * A mesh with {@code env} added to the launcher's environment; with {@code after} set, on that
   * mesh's data folder and ports (as a user's next {@code ./mesh up} would be), else on new ones.
   */
  MeshProcess(int replicas, Map<String, String> env, MeshProcess after) throws IOException {
    this(replicas, env, after, 0);
  }

  /** As above, with the edge's REST port {@code httpPort} unless it is 0. */
  MeshProcess(int replicas, Map<String, String> env, MeshProcess after, int httpPort) throws IOException {
    this.replicas = replicas;
    if (after == null) {
      pgPort = FreePorts.next();
      this.httpPort = httpPort != 0 ? httpPort : FreePorts.next();
      grpcPort = FreePorts.next();
      servicePortBase = freeBase(replicas);
      jwksPort = freeJwksBase();
      kafkaPort = FreePorts.next();
      home = Files.createTempDirectory("mesh-e2e-");
    } else {
      pgPort = after.pgPort;
      this.httpPort = after.httpPort;
      grpcPort = after.grpcPort;
      servicePortBase = after.servicePortBase;
      jwksPort = after.jwksPort;
      kafkaPort = after.kafkaPort;
      home = after.home;
    }
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> command = new ArrayList<>(DEFAULT_SIGNALS);
    command.addAll(
        List.of(
            root.resolve("mesh").toString(),
            "up",
            "--fresh",
            "--replicas", Integer.toString(replicas),
            "--pg-port", Integer.toString(pgPort),
            "--service-port-base", Integer.toString(servicePortBase),
            "--http-port", Integer.toString(this.httpPort),
            "--grpc-port", Integer.toString(grpcPort)));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(root.toFile())
            .redirectErrorStream(true);
    pb.environment().put("MESH_HOME", home.toString());
    pb.environment().put("MESH_KAFKA_PORT", Integer.toString(kafkaPort));
    pb.environment().put("MESH_SKIP_BUILD", "1"); // this build has just packaged every jar
    pb.environment().put("RECONCILE_INTERVAL", "1s");
    pb.environment().put("RECONCILE_MIN_AGE", "2s");
    // user-svc's JWKS listeners on free ports, and an admin of this run's own.
    pb.environment().put("MESH_JWKS_PORT", Integer.toString(jwksPort));
    pb.environment().put("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL);
    pb.environment().put("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    // Orders that failed while a payment-svc replica was down are retried within 2 s of its return.
    pb.environment().put("RECONCILE_BACKOFF_MAX", "2s");
    pb.environment().putAll(env);
    process = pb.start();
    Thread.ofPlatform().daemon().start(this::pump);
  }

  /** A JWKS base port with the next replica's (+10) free too. */
  private static int freeJwksBase() {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 13000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(690) * 10; // below 32768, as freeBase
      try (var a = new java.net.ServerSocket(base); var b = new java.net.ServerSocket(base + 10)) {
        return base;
      } catch (IOException taken) {
        // another
      }
    }
    throw new IllegalStateException("no free JWKS ports");
  }

  /**
   * A base port with every service port of every replica free, below Linux's ephemeral range
   * (32768 on): the mesh's own outgoing connections (pools, channels) take local ports from that
   * range as it starts, and one of them once held a replica's port before the replica bound it.
   */
  private static int freeBase(int replicas) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(127) * 100;
      boolean free = true;
      // user-svc, order-svc, payment-svc, notification-svc, and payment-svc's internal port (its port + 1000)
      for (int offset : new int[] {0, 1, 2, 3, 1002}) {
        if (!free) {
          break;
        }
        for (int k = 0; k < replicas && free; k++) {
          try (var s = new java.net.ServerSocket(base + offset + 10 * k)) {
            s.setReuseAddress(true);
          } catch (IOException taken) {
            free = false;
          }
        }
      }
      if (free) {
        return base;
      }
    }
    throw new IllegalStateException("no free port block");
  }

  private void pump() {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        output.add(line);
        System.out.println("[mesh] " + line);
      }
    } catch (IOException e) {
      // the mesh is gone
    }
  }

  /** Waits for the launcher's "mesh is up" line. */
  void awaitUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (output.stream().anyMatch(l -> l.contains("mesh is up. Ctrl-C stops it."))) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError("./mesh up exited with " + process.exitValue());
      }
      Thread.sleep(100);
    }
    throw new AssertionError("./mesh up did not come up within " + timeout);
  }

  String restUrl() {
    return "http://localhost:" + httpPort;
  }

  /** The port of replica {@code k} (from 0) of the service at {@code offset} (user 0, order 1, payment 2). */
  int servicePort(int offset, int k) {
    return servicePortBase + offset + 10 * k;
  }

  /** The pid the launcher recorded for {@code process}, such as {@code order-svc-1}. */
  Optional<Long> pid(String name) {
    try {
      // line 1 the pid, line 2 its start time
      return Optional.of(Long.parseLong(Files.readAllLines(home.resolve("run").resolve(name + ".pid")).getFirst().trim()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Every pid file's process that is still alive. */
  List<ProcessHandle> liveChildren() throws IOException {
    try (Stream<Path> files = Files.list(home.resolve("run"))) {
      return files
          .filter(f -> f.toString().endsWith(".pid"))
          .map(f -> pid(f.getFileName().toString().replace(".pid", "")))
          .flatMap(Optional::stream)
          .map(ProcessHandle::of)
          .flatMap(Optional::stream)
          .filter(ProcessHandle::isAlive)
          .toList();
    }
  }

  Optional<ProcessHandle> postmaster() {
    try {
      long pid = Long.parseLong(Files.readAllLines(home.resolve("pgdata").resolve("postmaster.pid")).getFirst().trim());
      return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The launcher itself ({@code ./mesh} execs it). */
  ProcessHandle launcher() {
    return process.toHandle();
  }

  /** Sends {@code signal} (HUP, TERM, KILL...) to the launcher, as kill(1) does. */
  void signal(String signal) throws IOException, InterruptedException {
    new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start().waitFor();
  }

  /** Waits for the launcher to exit; its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("the launcher did not exit within " + timeout);
    }
    Thread.sleep(200); // the last lines
    return process.exitValue();
  }

  /** Every port this mesh listens on. */
  List<Integer> ports() {
    List<Integer> ports = new java.util.ArrayList<>(List.of(pgPort, httpPort, grpcPort));
    for (int offset = 0; offset < 3; offset++) {
      for (int k = 0; k < replicas; k++) {
        ports.add(servicePort(offset, k));
      }
    }
    for (int k = 0; k < replicas; k++) {
      ports.add(jwksPort + 10 * k); // user-svc's JWKS listeners
    }
    return ports;
  }

  /** Whether a server could listen on {@code port} now. */
  static boolean free(int port) {
    try (var s = new java.net.ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  List<String> output() {
    return List.copyOf(output);
  }

  /** SIGTERM, as a service manager or a Ctrl-C would stop it; returns the exit code. */
  int terminate(Duration timeout) throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the mesh did not stop within " + timeout);
    }
    Thread.sleep(200); // the last lines
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.toHandle().destroy();
      try {
        process.waitFor(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
