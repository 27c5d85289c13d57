package dev.shopmesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * However {@code ./mesh up} ends, it leaves nothing behind: no JVM, no PostgreSQL, no busy port.
 * One replica each, to keep the machine free (the mechanism does not depend on the count); the
 * same data folder throughout, so that only the first start records the ahead-of-time caches.
 * (SIGTERM is {@code MeshEndToEndTest}'s last step; SIGINT is the same handler.)
 */
class LauncherLifecycleTest {
  /**
   * No notice period (these tests stop meshes, they do not load-balance around them), and no
   * ahead-of-time cache: on a fresh folder every JVM would record one and assemble it as it
   * stops, which on a busy 2-core machine takes minutes.
   */
  private static final Map<String, String> QUICK_STOP = Map.of("SHUTDOWN_NOTICE", "0s", "MESH_AOT", "off");

  private static final Duration UP = Duration.ofMinutes(3);
  private static final Duration GONE = Duration.ofMinutes(3);

  /**
   * SIGHUP (the terminal closed), then SIGKILL of the launcher and its watchdog (kill -9 of
   * everything, the OOM killer), then the next {@code ./mesh up --fresh} on the same folder,
   * which stops the leftovers (PostgreSQL before it deletes its data), then SIGKILL of that
   * launcher alone, whose watchdog stops everything.
   */
  @Test
  void whateverEndsTheLauncherNoneOfItsProcessesIsLeftAndTheNextStartCleansUp() throws Exception {
    MeshProcess first = new MeshProcess(1, QUICK_STOP, null);
    try (first) {
      first.awaitUp(UP);
      List<ProcessHandle> processes = everything(first);

      first.signal("HUP");

      // What a user notices: every process it started is gone and every port free. (MeshProcess
      // starts the mesh with SIGHUP at its default: under nohup a JVM cannot see it at all.)
      assertAllGone(first, processes);
      assertThat(first.output()).anyMatch(l -> l.startsWith("mesh") && l.endsWith("| stopped"));
    }

    List<ProcessHandle> leftovers;
    MeshProcess second = new MeshProcess(1, QUICK_STOP, first);
    try (second) {
      second.awaitUp(UP);
      ProcessHandle watchdog = watchdog(second);
      watchdog.destroyForcibly();
      watchdog.onExit().join();
      leftovers = everything(second);
      second.signal("KILL");
      second.awaitExit(GONE);
      Thread.sleep(2000);
      assertThat(leftovers).as("nothing stopped them").allMatch(ProcessHandle::isAlive);
    }

    try (MeshProcess third = new MeshProcess(1, QUICK_STOP, second)) {
      third.awaitUp(UP);
      assertThat(leftovers).as("the leftovers were stopped").noneMatch(ProcessHandle::isAlive);
      assertThat(third.output())
          .anyMatch(l -> l.contains("stopping a PostgreSQL left running by an earlier mesh"))
          .anyMatch(l -> l.contains("edge.pid left by an earlier mesh"));
      assertThat(indexOf(third.output(), "stopping a PostgreSQL left running"))
          .as("PostgreSQL stopped before its folder is deleted")
          .isLessThan(indexOf(third.output(), "--fresh: deleting"));

      List<ProcessHandle> processes = everything(third);
      watchdog(third); // alive
      third.signal("KILL"); // no handler runs: the watchdog must notice by itself

      third.awaitExit(GONE);
      assertAllGone(third, processes);
      assertThat(Files.readString(third.home.resolve("run").resolve("watchdog.log")))
          .contains("the launcher is gone")
          .contains("SIGTERM to edge")
          .contains("fast shutdown (SIGINT) of PostgreSQL");
    }
  }

  @Test
  void aBusyPortIsNamedWithItsProcessAndNothingStarts() throws Exception {
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.setReuseAddress(true);
      squatter.bind(new java.net.InetSocketAddress(0)); // someone else's server
      int port = squatter.getLocalPort();

      try (MeshProcess mesh = new MeshProcess(1, QUICK_STOP, null, port)) {
        assertThat(mesh.awaitExit(GONE)).isEqualTo(1);
        assertThat(mesh.output())
            .anyMatch(l -> l.contains("port " + port + " is in use by pid " + ProcessHandle.current().pid()));
        assertThat(mesh.output()).noneMatch(l -> l.contains("starting PostgreSQL"));
        assertThat(mesh.postmaster()).isEmpty();
      }
    }
  }

  @Test
  void aServiceThatExitsOnBadConfigurationIsNotRestartedAndTheMeshStopsWhatItStarted() throws Exception {
    try (MeshProcess mesh = new MeshProcess(1, Map.of("SHUTDOWN_DRAIN", "a while", "MESH_AOT", "off"), null)) {
      assertThat(mesh.awaitExit(GONE)).isEqualTo(1);
      assertThat(mesh.output())
          .anyMatch(l -> l.contains("user-svc exited with code 2") && l.contains("not restarting it"))
          .anyMatch(l -> l.contains("cannot start: user-svc"))
          .noneMatch(l -> l.contains("restarting in"));
      assertThat(mesh.postmaster()).as("PostgreSQL, which had started, is stopped").isEmpty();
      for (int port : mesh.ports()) {
        assertThat(MeshProcess.free(port)).as("port %d is free", port).isTrue();
      }
    }
  }

  private static ProcessHandle watchdog(MeshProcess mesh) throws Exception {
    long pid = Long.parseLong(Files.readAllLines(mesh.home.resolve("run").resolve("watchdog.pid")).getFirst().trim());
    return ProcessHandle.of(pid)
        .orElseThrow(() -> new AssertionError("the watchdog is not running: " + watchdogLog(mesh)));
  }

  private static String watchdogLog(MeshProcess mesh) {
    try {
      return Files.readString(mesh.home.resolve("run").resolve("watchdog.log"));
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    throw new AssertionError("no line contains '" + text + "'");
  }

  /** Every JVM the launcher started (and its watchdog), and PostgreSQL. */
  private static List<ProcessHandle> everything(MeshProcess mesh) throws Exception {
    List<ProcessHandle> all = new ArrayList<>(mesh.liveChildren());
    all.add(mesh.postmaster().orElseThrow());
    assertThat(all).hasSizeGreaterThanOrEqualTo(5); // 3 services, the edge, PostgreSQL
    return all;
  }

  private static void assertAllGone(MeshProcess mesh, List<ProcessHandle> processes) throws InterruptedException {
    long deadline = System.nanoTime() + GONE.toNanos();
    while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    assertThat(processes).as("processes still running: %s", describe(processes)).noneMatch(ProcessHandle::isAlive);
    for (int port : mesh.ports()) {
      assertThat(MeshProcess.free(port)).as("port %d is free", port).isTrue();
    }
  }

  /** What a lingering process is doing: its state and parent, and a JVM's threads. */
  private static String describe(List<ProcessHandle> processes) {
    StringBuilder out = new StringBuilder();
    for (ProcessHandle p : processes.stream().filter(ProcessHandle::isAlive).toList()) {
      out.append("\npid ").append(p.pid()).append(' ').append(p.info().commandLine().orElse("?"));
      try {
        Files.readAllLines(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "status")).stream()
            .filter(l -> l.startsWith("State:") || l.startsWith("PPid:") || l.startsWith("Threads:"))
            .forEach(l -> out.append("\n  ").append(l));
        Process jcmd =
            new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(p.pid()), "Thread.print")
                .redirectErrorStream(true)
                .start();
        if (jcmd.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
          out.append("\n").append(new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } else {
          jcmd.destroyForcibly();
        }
      } catch (java.io.IOException | InterruptedException e) {
        out.append("\n  (").append(e).append(')');
      }
    }
    return out.toString();
  }
}
