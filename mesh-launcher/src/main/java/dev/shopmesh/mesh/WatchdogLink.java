package dev.shopmesh.mesh;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's end of the pipe to its {@link Watchdog}. The pipe is the point: the kernel
 * closes it however the launcher ends, SIGKILL included, and the watchdog reads its end.
 */
final class WatchdogLink implements AutoCloseable {
  private final Process process;
  private final OutputStream pipe;
  private final Path pidFile;

  private WatchdogLink(Process process, Path pidFile) {
    this.process = process;
    this.pidFile = pidFile;
    this.pipe = process.getOutputStream();
  }

  /** Starts the watchdog in a session of its own, its output appended to {@code log}. */
  static WatchdogLink start(Path runDir) throws IOException {
    Path log = runDir.resolve("watchdog.log");
    List<String> cmd = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid")) || Files.isExecutable(Path.of("/bin/setsid"))) {
      cmd.add("setsid"); // no terminal, no process group of the launcher's: no SIGHUP, no Ctrl-C
    }
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    // As small as a JVM gets: it reads a pipe and, once, sends a few signals.
    cmd.addAll(List.of("-Xmx16m", "-Xss256k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-XX:ReservedCodeCacheSize=16m"));
    cmd.addAll(List.of("-cp", ownClassPath(), Watchdog.class.getName()));
    Files.createDirectories(log.getParent());
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(Redirect.appendTo(log.toFile()))
            .redirectErrorStream(true)
            .start();
    // Like a child's: the next launcher stops a watchdog that is still at work on a mesh of before.
    Path pidFile = runDir.resolve("watchdog.pid");
    Files.writeString(
        pidFile,
        p.pid() + "\n" + p.info().startInstant().map(Object::toString).orElse("") + "\n");
    return new WatchdogLink(p, pidFile);
  }

  private static String ownClassPath() {
    try {
      return Path.of(Watchdog.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  long pid() {
    return process.pid();
  }

  void child(long pid, String name) {
    send("child " + pid + " " + name);
  }

  void postgres(long pid) {
    send("postgres " + pid);
  }

  void gone(long pid) {
    send("gone " + pid);
  }

  private synchronized void send(String line) {
    try {
      pipe.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      pipe.flush();
    } catch (IOException e) {
      // The watchdog died: nothing would stop the children if this launcher were killed now.
      Mesh.say("the watchdog is gone (" + e.getMessage() + "); a kill -9 of this launcher would leave processes behind");
    }
  }

  /** The launcher stopped everything itself: the watchdog has nothing to do. */
  @Override
  public void close() {
    send("done");
    try {
      pipe.close();
      Files.deleteIfExists(pidFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
