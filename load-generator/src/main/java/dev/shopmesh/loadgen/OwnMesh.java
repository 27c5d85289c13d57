package dev.shopmesh.loadgen;

import dev.shopmesh.platform.grpc.HealthProbe;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mesh started for the run: {@code ./mesh up}'s own launcher as a child process, with fresh
 * databases in {@code $MESH_HOME/bench-mesh} (never the developer's {@code .mesh/pgdata}) and on
 * free ports, so that it can run beside a developer's {@code ./mesh up}. Stopped with SIGTERM,
 * which the launcher answers by draining every service in order.
 */
final class OwnMesh implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Targets targets;
  private final Path log;
  private boolean closed;

  private OwnMesh(Process process, Targets targets, Path log) {
    this.process = process;
    this.targets = targets;
    this.log = log;
  }

  /** Ports the launcher uses from {@code base}: services on base..base+2, PostgreSQL on base+5. */
  private record Ports(int base) {
    int pg() {
      return base + 5;
    }

    int user() {
      return base;
    }

    int order() {
      return base + 1;
    }

    int payment() {
      return base + 2;
    }

    int edgeHttp() {
      return base + 8;
    }

    int edgeGrpc() {
      return base + 9;
    }
  }

  static OwnMesh start(Path root, Path home, Path log, PrintStream out) throws IOException, InterruptedException {
    Path jar = root.resolve("mesh-launcher").resolve("target").resolve("mesh-launcher.jar");
    if (!Files.isRegularFile(jar)) {
      throw new BenchException(jar + " is missing: build first (./mesh build)");
    }
    Ports ports = freePorts();
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid"))) {
      // Its own session: a Ctrl-C reaches the generator only, which then stops the mesh in order.
      command.add("setsid");
    }
    command.addAll(
        List.of(
            ProcessHandle.current().info().command().orElse("java"),
            "-XX:+UseSerialGC",
            "-jar",
            jar.toString(),
            "up",
            "--fresh",
            "--pg-port",
            Integer.toString(ports.pg()),
            "--service-port-base",
            Integer.toString(ports.base())));
    Path meshHome = home.resolve("bench-mesh");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("MESH_HOME", meshHome.toString());
    pb.environment().put("MESH_ROOT", root.toString());
    out.printf("starting a mesh of our own (data in %s, output in %s)%n", meshHome, log);
    Process process = pb.start();
    Targets targets =
        new Targets(
            "localhost:" + ports.user(),
            "localhost:" + ports.edgeGrpc(),
            URI.create("http://localhost:" + ports.edgeHttp()));
    OwnMesh mesh = new OwnMesh(process, targets, log);
    try {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      for (int port : new int[] {ports.user(), ports.order(), ports.payment()}) {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if (!process.isAlive()) {
          throw new BenchException("the mesh exited with code " + process.exitValue() + "; see " + log);
        }
        if (!HealthProbe.awaitServing("localhost", port, left)) {
          throw new BenchException("the mesh did not come up within " + START_TIMEOUT.toSeconds() + "s; see " + log);
        }
      }
    } catch (RuntimeException | InterruptedException e) {
      mesh.close();
      throw e;
    }
    out.printf("mesh is up: user-svc %s, order-svc localhost:%d, payment-svc localhost:%d%n", targets.userGrpc(), ports.order(), ports.payment());
    return mesh;
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
    if (!process.isAlive()) {
      return;
    }
    process.toHandle().destroy(); // SIGTERM: the launcher drains the services, then PostgreSQL
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        System.err.println("bench: the mesh did not stop within " + STOP_TIMEOUT.toSeconds() + "s; killing it (see " + log + ")");
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  /** The first base from 52051 up (by 100) whose ports are all free. */
  private static Ports freePorts() {
    for (int base = 52051; base < 60000; base += 100) {
      Ports ports = new Ports(base);
      if (free(ports.user()) && free(ports.order()) && free(ports.payment()) && free(ports.pg())
          && free(ports.edgeHttp()) && free(ports.edgeGrpc())) {
        return ports;
      }
    }
    throw new BenchException("found no free ports for a mesh between 52051 and 60000");
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
