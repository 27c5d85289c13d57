package dev.shopmesh.mesh;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The launcher's dead-man switch: a small process of its own (its own session, so a closing
 * terminal's SIGHUP and a Ctrl-C do not reach it) that reads a pipe from the launcher. The
 * launcher writes one line per process it starts and one when it stops one; when the pipe ends
 * without a final {@code done} line, the launcher is gone (SIGKILL, OOM killer, a crash), and the
 * watchdog stops what it had started, in the launcher's own order: the edge, order-svc, the rest,
 * each with SIGTERM (so it drains) and SIGKILL after a grace period, then PostgreSQL (SIGINT, its
 * fast shutdown).
 *
 * <p>Nothing of the services is involved: it works the same for PostgreSQL, which pg_ctl has
 * detached from the launcher anyway. A process is signalled only if it is still the one that was
 * registered (same pid and same start time), so a recycled pid is never hit.
 *
 * <p>Protocol, one line each: {@code child <pid> <name>}, {@code postgres <pid>}, {@code gone
 * <pid>}, {@code done}.
 */
public final class Watchdog {
  static final Duration GRACE = Duration.ofSeconds(30);

  private record Watched(ProcessHandle handle, Optional<Instant> started, String name) {
    boolean stillTheSame() {
      return handle.isAlive() && handle.info().startInstant().equals(started);
    }
  }

  private Watchdog() {}

  public static void main(String[] args) throws Exception {
    // Belt and braces beside setsid: this process must outlive the signals that end the launcher.
    for (String s : List.of("HUP", "INT")) {
      try {
        Signal.handle(new Signal(s), SignalHandler.SIG_IGN);
      } catch (IllegalArgumentException unsupported) {
        // not on this platform
      }
    }
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (main.isAlive()) {
        say("ended by a signal (SIGTERM?) before the launcher; its processes are no longer watched");
      }
    }));
    say("watching launcher pid " + ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L));
    Map<Long, Watched> children = new LinkedHashMap<>();
    Watched postgres = null;
    boolean done = false;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] f = line.trim().split(" ", 3);
        try {
          switch (f[0]) {
            case "child" -> watch(Long.parseLong(f[1]), f.length > 2 ? f[2] : "?").ifPresent(w -> children.put(w.handle().pid(), w));
            case "postgres" -> postgres = watch(Long.parseLong(f[1]), "postgres").orElse(null);
            case "gone" -> children.remove(Long.parseLong(f[1]));
            case "done" -> done = true;
            default -> say("ignoring '" + line + "'");
          }
        } catch (RuntimeException e) {
          say("ignoring '" + line + "': " + e);
        }
      }
    } catch (IOException e) {
      say("reading from the launcher failed (" + e.getMessage() + "); taking it for gone");
    }
    if (done) {
      return;
    }
    say("the launcher is gone without stopping the mesh; stopping what it started");
    stopAll(new ArrayList<>(children.values()), postgres);
    say("stopped");
  }

  private static Optional<Watched> watch(long pid, String name) {
    return ProcessHandle.of(pid).map(h -> new Watched(h, h.info().startInstant(), name));
  }

  private static void stopAll(List<Watched> children, Watched postgres) throws InterruptedException {
    children.sort(Comparator.comparingInt(w -> MeshPlan.stopRank(w.name())));
    for (int rank : children.stream().mapToInt(w -> MeshPlan.stopRank(w.name())).distinct().toArray()) {
      List<Watched> wave = children.stream().filter(w -> MeshPlan.stopRank(w.name()) == rank && w.stillTheSame()).toList();
      for (Watched w : wave) {
        say("SIGTERM to " + w.name() + " (pid " + w.handle().pid() + ")");
        w.handle().destroy();
      }
      for (Watched w : wave) {
        awaitOrKill(w, GRACE);
      }
    }
    if (postgres != null && postgres.stillTheSame()) {
      say("fast shutdown (SIGINT) of PostgreSQL (pid " + postgres.handle().pid() + ")");
      signal("INT", postgres.handle().pid());
      awaitOrKill(postgres, GRACE);
    }
  }

  private static void awaitOrKill(Watched w, Duration grace) throws InterruptedException {
    try {
      w.handle().onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      if (w.stillTheSame()) {
        say(w.name() + " did not stop within " + grace.toSeconds() + "s; SIGKILL");
        w.handle().destroyForcibly();
      }
    }
  }

  /** A signal the JDK cannot send itself (it knows only TERM and KILL). */
  static void signal(String signal, long pid) {
    try {
      new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      say("kill -" + signal + " " + pid + " failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void say(String message) {
    System.out.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " watchdog: " + message);
    System.out.flush();
  }
}
