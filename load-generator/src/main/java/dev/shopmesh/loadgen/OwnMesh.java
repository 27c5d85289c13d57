package dev.shopmesh.loadgen;

import dev.shopmesh.platform.grpc.HealthProbe;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A mesh started for the run: {@code ./mesh up}'s own launcher as a child process, with fresh
 * databases in {@code $MESH_HOME/bench-mesh} (never the developer's {@code .mesh/pgdata}), on
 * free ports, so that it can run beside a developer's {@code ./mesh up}.
 *
 * <p>The Java edge is the launcher's, configured as {@code ./mesh up} configures it (its JWKS,
 * its certificates). Stopping is SIGTERM to the launcher, which drains the edge and then every
 * service in order.
 */
final class OwnMesh implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final Path root;
  private final Path meshHome;
  private final MeshPorts ports;
  private final Path outDir;
  private final Process launcher;
  private final Targets targets;
  private boolean closed;

  private OwnMesh(Path root, Path meshHome, MeshPorts ports, Path outDir, Process launcher) {
    this.root = root;
    this.meshHome = meshHome;
    this.ports = ports;
    this.outDir = outDir;
    this.launcher = launcher;
    this.targets =
        new Targets(
            ports.targets(0), // straight to every user-svc replica, as the edge balances over them
            "localhost:" + ports.edgeGrpc(),
            URI.create("http://localhost:" + ports.edgeHttp()));
  }

  /** A port from which the JWKS ports of every replica (+10 each) are likely free. */
  private static int freeJwksBase() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = 30000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(2000) * 10;
      try (var a = new java.net.ServerSocket(base); var b = new java.net.ServerSocket(base + 10)) {
        return base;
      } catch (java.io.IOException taken) {
        // try another
      }
    }
    return 8081;
  }

  /** Starts the launcher and returns at once; {@link #awaitUp} waits for the mesh. */
  static OwnMesh launch(Path root, Path home, int replicas, Path outDir, PrintStream out) throws IOException {
    Path launcherJar = jar(root, "mesh-launcher");
    MeshPorts ports = MeshPorts.free(replicas);
    Path log = outDir.resolve("mesh.log");
    Path meshHome = home.resolve("bench-mesh");
    List<String> command = new ArrayList<>(java());
    command.addAll(
        List.of(
            "-XX:+UseSerialGC", "-jar", launcherJar.toString(), "up", "--fresh",
            "--replicas", Integer.toString(replicas),
            "--pg-port", Integer.toString(ports.pg()),
            "--service-port-base", Integer.toString(ports.base()),
            "--http-port", Integer.toString(ports.edgeHttp()),
            "--grpc-port", Integer.toString(ports.edgeGrpc())));
    out.printf(
        "bench: starting a mesh of our own, %d replica(s) per service (data in %s, output in %s)%n",
        replicas, meshHome, log);
    Process launcher =
        spawn(
            command,
            Map.of(
                "MESH_HOME", meshHome.toString(),
                "MESH_ROOT", root.toString(),
                // user-svc's JWKS listeners (8081 + 10·k under ./mesh up): a free range of our own
                "MESH_JWKS_PORT", Integer.toString(freeJwksBase())),
            log);
    return new OwnMesh(root, meshHome, ports, outDir, launcher);
  }

  /**
   * Waits until every replica serves and the edge, which the launcher starts last, serves too.
   * (Deciding from the launcher's children whether it runs an edge raced with its start: the
   * bench then ran an edge of its own, without the mesh's JWKS, and every call was a 401.) On
   * failure the mesh is stopped.
   */
  void awaitUp(PrintStream out) throws InterruptedException {
    Path log = outDir.resolve("mesh.log");
    try {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      for (int offset = 0; offset < 3; offset++) {
        for (int port : ports.service(offset)) {
          awaitServing(launcher, port, deadline, log);
        }
      }
      awaitServing(launcher, ports.edgeGrpc(), deadline, log);
    } catch (RuntimeException | InterruptedException e) {
      close();
      throw e;
    }
    out.printf(
        "bench: mesh is up: user-svc %s, edge REST %s, edge gRPC %s%n",
        ports.targets(0), targets.edgeHttp(), targets.edgeGrpc());
  }

  synchronized String description() {
    return String.format(
        "started by the benchmark: fresh databases, %d replica(s) per service, edge started by the launcher",
        ports.replicas());
  }

  /** Every process of the mesh: launcher, services, edge and PostgreSQL with its backends. */
  synchronized List<ProcessHandle> processes() {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(launcher.toHandle());
    launcher.descendants().forEach(all::add);
    try {
      // PostgreSQL daemonizes, so it is no child of the launcher: find it by its pid file.
      long pid = Long.parseLong(Files.readAllLines(meshHome.resolve("pgdata").resolve("postmaster.pid")).getFirst().trim());
      ProcessHandle.of(pid).ifPresent(pg -> {
        if (!all.contains(pg)) {
          all.add(pg);
          pg.descendants().filter(d -> !all.contains(d)).forEach(all::add);
        }
      });
    } catch (IOException | RuntimeException e) {
      // not up yet, or gone
    }
    return all;
  }

  Targets targets() {
    return targets;
  }

  /** Stops the mesh and waits for it; safe to call twice, and from a shutdown hook. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stop(launcher);
  }

  private static void stop(Process p) {
    if (!p.isAlive()) {
      return;
    }
    p.toHandle().destroy(); // SIGTERM: drain
    try {
      if (p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        return;
      }
      System.err.println("bench: pid " + p.pid() + " did not stop within " + STOP_TIMEOUT.toSeconds() + "s; killing it");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }

  private static void awaitServing(Process p, int port, long deadline, Path log) throws InterruptedException {
    while (!HealthProbe.awaitServing("localhost", port, Duration.ofSeconds(2))) {
      if (!p.isAlive()) {
        throw new BenchException("the mesh exited with code " + p.exitValue() + " before port " + port + " served; see " + log);
      }
      if (System.nanoTime() - deadline > 0) {
        throw new BenchException("port " + port + " is not SERVING after " + START_TIMEOUT.toSeconds() + "s; see " + log);
      }
    }
  }

  private static Process spawn(List<String> command, Map<String, String> env, Path log) throws IOException {
    List<String> full = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid"))) {
      // Its own session: a Ctrl-C reaches the generator only, which then stops the mesh in order.
      full.add("setsid");
    }
    full.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  private static List<String> java() {
    return List.of(ProcessHandle.current().info().command().orElse("java"));
  }

  private static Path jar(Path root, String module) {
    Path jar = root.resolve(module).resolve("target").resolve(module + ".jar");
    if (!Files.isRegularFile(jar)) {
      throw new BenchException(jar + " is missing: build first (./mesh build)");
    }
    return jar;
  }
}
