package dev.shopmesh.testkit;

import dev.shopmesh.platform.grpc.HealthProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A service in a JVM of its own, started from the test's classpath, so that a test can kill it
 * for real (SIGKILL, mid-transaction) and start it again.
 */
public final class ChildJvm implements AutoCloseable {
  private final String mainClass;
  private final Map<String, String> env;
  private final int port;
  private final List<String> jvmFlags;
  private final Path log;
  private Process process;

  private ChildJvm(String mainClass, Map<String, String> env, int port, List<String> jvmFlags) throws IOException {
    this.mainClass = mainClass;
    this.env = env;
    this.port = port;
    this.jvmFlags = List.copyOf(jvmFlags);
    this.log = Files.createTempFile("child-" + port + "-", ".log");
  }

  /** Starts {@code mainClass} with {@code env} (which must set PORT) and waits until SERVING. */
  public static ChildJvm start(String mainClass, Map<String, String> env) {
    return start(mainClass, env, List.of());
  }

  /** As {@link #start(String, Map)}, with JVM flags of its own (a heap as small as the mesh's). */
  public static ChildJvm start(String mainClass, Map<String, String> env, List<String> jvmFlags) {
    try {
      ChildJvm jvm = new ChildJvm(mainClass, env, Integer.parseInt(env.get("PORT")), jvmFlags);
      jvm.restart();
      return jvm;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts the JVM again (after {@link #kill()}) and waits until it is SERVING. */
  public void restart() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    try {
      process = pb.start();
      if (!HealthProbe.awaitServing("localhost", port, Duration.ofSeconds(60))) {
        throw new IllegalStateException(mainClass + " did not become SERVING; see " + log);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL: no drain, no goodbye; open transactions die with their connections. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What the JVM printed so far. */
  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
