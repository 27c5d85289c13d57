package dev.shopmesh.mesh;

import dev.shopmesh.platform.grpc.HealthProbe;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One JVM of the mesh (a service replica or the edge), supervised: its output is prefixed with
 * its name, and when it dies on its own it is restarted after a back-off that doubles up to 30
 * seconds (and resets once it has stayed up for a minute). Not restarted: a process that exits
 * with code 2 (its configuration is wrong, and will be the next time too), and one that dies
 * before it was ever SERVING (the launcher then stops the mesh and says why). Every start and
 * exit is told to the {@link Watchdog}, which stops the process if the launcher dies.
 */
final class ServiceProcess {
  private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  private static final Duration STABLE = Duration.ofMinutes(1);
  /** ServiceMain's exit code for bad configuration. */
  static final int EXIT_BAD_CONFIG = 2;

  private final String name;
  private final List<String> command;
  private final Map<String, String> env;
  private final int healthPort;
  private final Path pidFile;
  private final MeshPlan.Aot aot;
  private final WatchdogLink watchdog;
  private volatile Process process;
  private volatile boolean everServing;
  private volatile String gaveUp; // why it is not restarted, once it is not
  private volatile long startedNanos;
  private volatile Thread output;
  private volatile boolean stopping;
  private Duration backoff = FIRST_BACKOFF;

  ServiceProcess(
      String name,
      List<String> command,
      Map<String, String> env,
      int healthPort,
      Path runDir,
      MeshPlan.Aot aot,
      WatchdogLink watchdog) {
    this.name = name;
    this.watchdog = watchdog;
    this.aot = aot;
    this.command = command;
    this.env = env;
    this.healthPort = healthPort;
    this.pidFile = runDir.resolve(name + ".pid");
  }

  String name() {
    return name;
  }

  int port() {
    return healthPort;
  }

  long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  synchronized void start() throws IOException {
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid"))) {
      // Its own session: a Ctrl-C in the terminal reaches the launcher only, which then stops
      // the children in order instead of all of them dying at once.
      cmd.add("setsid");
    }
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    startedNanos = System.nanoTime();
    Process started = pb.start();
    process = started;
    watchdog.child(started.pid(), name);
    // The start time beside the pid: after a reboot the pid may be anyone's.
    Files.writeString(
        pidFile,
        started.pid() + "\n" + started.info().startInstant().map(Object::toString).orElse("") + "\n");
    output = Thread.ofPlatform().daemon().name(name + "-out").start(() -> pump(started));
    started.onExit().thenAccept(this::exited);
  }

  private void pump(Process p) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        Mesh.line(name, line);
        if (aot.record() && line.contains(MeshPlan.Aot.COMPLETE)) {
          keepAotCache();
        }
      }
    } catch (IOException e) {
      // the process went away
    }
  }

  private void keepAotCache() {
    try {
      Files.move(aot.recording(), aot.cache(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Mesh.say(name + " saved its ahead-of-time cache: its next starts are faster");
    } catch (IOException e) {
      Mesh.say(name + ": could not keep its ahead-of-time cache: " + e.getMessage());
    }
  }

  private void exited(Process p) {
    watchdog.gone(p.pid());
    if (stopping || p != process) {
      return;
    }
    if (p.exitValue() == EXIT_BAD_CONFIG) {
      gaveUp = "exited with code 2: its configuration is wrong (see its output above); not restarting it";
      Mesh.say(name + " " + gaveUp);
      return;
    }
    if (!everServing) {
      gaveUp = "exited with code " + p.exitValue() + " before it was SERVING (see its output above); not restarting it";
      Mesh.say(name + " " + gaveUp);
      return;
    }
    Duration uptime =
        p.info().startInstant().map(s -> Duration.between(s, java.time.Instant.now())).orElse(Duration.ZERO);
    if (uptime.compareTo(STABLE) > 0) {
      backoff = FIRST_BACKOFF;
    }
    Duration wait = backoff;
    backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
    Mesh.say(name + " exited with code " + p.exitValue() + "; restarting in " + wait.toSeconds() + "s");
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                Thread.sleep(wait);
                if (!stopping) {
                  start();
                  Mesh.say(name + " restarted (pid " + pid() + ")");
                }
              } catch (Exception e) {
                Mesh.say(name + " could not be restarted: " + e.getMessage());
              }
            });
  }

  /**
   * Waits until the process answers its gRPC health check with SERVING; returns how long after
   * its start that was, or empty when it was not within {@code timeout} or was asked to stop.
   */
  Optional<Duration> awaitServing(Duration timeout) throws InterruptedException {
    if (HealthProbe.awaitServing("localhost", healthPort, timeout, () -> stopping || gaveUp != null)) {
      everServing = true;
      return Optional.of(Duration.ofNanos(System.nanoTime() - startedNanos));
    }
    return Optional.empty();
  }

  /**
   * For a process without gRPC health (the Kafka broker): it is up, as its own check found, so a
   * later exit is a crash to restart from, not a start-up that failed.
   */
  void up() {
    everServing = true;
  }

  /** Why this process is not restarted (it exited with code 2, or before it was SERVING). */
  Optional<String> gaveUp() {
    return Optional.ofNullable(gaveUp);
  }

  /** Asks the process to stop (SIGTERM), so that it drains; returns at once. */
  void requestStop() {
    stopping = true;
    Process p = process;
    if (p != null) {
      // Through the handle: Process.destroy() would also close our end of its output, and its
      // last words (the drain messages) would be lost.
      p.toHandle().destroy();
    }
  }

  /** Waits for the process to exit; kills it if it outlives {@code grace}. */
  void awaitStop(Duration grace) throws InterruptedException {
    Process p = process;
    if (p != null && !p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      Mesh.say(name + " did not stop within " + grace.toSeconds() + "s; killing it");
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
    }
    Thread out = output;
    if (out != null) {
      out.join(2000); // let its last lines (its shutdown messages) reach the console
    }
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** Kills at once (SIGKILL): for a second Ctrl-C. */
  void kill() {
    stopping = true;
    Process p = process;
    if (p != null) {
      p.destroyForcibly();
    }
  }

  /**
   * Kills a process an earlier launcher left behind, if its pid file says there is one: only if
   * that pid is still the process the file was written for (same start time), a java one.
   */
  static void killLeftover(Path pidFile) {
    try {
      List<String> lines = Files.readAllLines(pidFile);
      long pid = Long.parseLong(lines.getFirst().trim());
      Optional<String> started = lines.size() > 1 && !lines.get(1).isBlank() ? Optional.of(lines.get(1).trim()) : Optional.empty();
      ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(h -> started.isEmpty() || h.info().startInstant().map(Object::toString).equals(started))
          .filter(h -> h.info().command().map(c -> c.contains("java") || c.contains("setsid")).orElse(false))
          .ifPresent(
              h -> {
                Mesh.say("stopping " + pidFile.getFileName() + " left by an earlier mesh (pid " + pid + ")");
                h.destroy();
                h.onExit().completeOnTimeout(h, 15, TimeUnit.SECONDS).join();
                h.destroyForcibly();
                h.onExit().completeOnTimeout(h, 5, TimeUnit.SECONDS).join();
              });
      Files.deleteIfExists(pidFile);
    } catch (IOException | RuntimeException ignored) {
      // nothing to clean up
    }
  }
}
