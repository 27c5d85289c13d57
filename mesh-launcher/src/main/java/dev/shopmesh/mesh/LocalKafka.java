package dev.shopmesh.mesh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kafka broker of {@code ./mesh up}: a single-node KRaft broker ({@code kafka-broker}, the
 * Kafka jars from Maven Central) in a JVM of its own, on loopback, its data in
 * {@code .mesh/kafka} so that a restart keeps the topic and the consumers' offsets. Supervised
 * like the services (restarted when it dies); started before them and stopped after them.
 */
final class LocalKafka {
  static final String NAME = "kafka";
  static final int DEFAULT_PORT = 9092;

  /**
   * A small broker: Kafka's default heap is 1 GB; a laptop's topic of order events needs a
   * fraction of it (about 200 MB resident with these flags).
   */
  static final List<String> JVM_FLAGS =
      List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx256m", "-Xss512k", "-XX:MaxMetaspaceSize=128m", "-XX:+ExitOnOutOfMemoryError");

  private LocalKafka() {}

  /** {@code MESH_KAFKA_PORT}, default 9092; the controller listens on the next port. */
  static int port(Map<String, String> env) {
    String raw = env.getOrDefault("MESH_KAFKA_PORT", Integer.toString(DEFAULT_PORT)).trim();
    try {
      int port = Integer.parseInt(raw);
      if (port >= 1 && port <= 65534) {
        return port;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("MESH_KAFKA_PORT must be a number from 1 to 65534, got '" + raw + "'");
  }

  static String bootstrapServers(Map<String, String> env) {
    return "127.0.0.1:" + port(env);
  }

  static Path dataDir(MeshOptions options) {
    return options.home().resolve("kafka");
  }

  /** The broker's supervised process, not started yet; the caller starts and stops it. */
  static ServiceProcess process(MeshOptions options, Path runDir, Map<String, String> env, WatchdogLink watchdog) {
    int port = port(env);
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
    command.addAll(JVM_FLAGS);
    if (Runtime.version().feature() >= 23) {
      command.add("--sun-misc-unsafe-memory-access=allow"); // Kafka unmaps its index files through it
    }
    command.add("-jar");
    command.add(options.root().resolve("kafka-broker").resolve("target").resolve("kafka-broker.jar").toString());
    Map<String, String> brokerEnv =
        Map.of(
            "KAFKA_PORT", Integer.toString(port),
            "KAFKA_CONTROLLER_PORT", Integer.toString(port + 1),
            "KAFKA_HOST", "127.0.0.1",
            "KAFKA_DATA_DIR", dataDir(options).toString());
    Path noCache = options.home().resolve("aot").resolve("kafka-broker.none");
    return new ServiceProcess(NAME, command, brokerEnv, port, runDir, new MeshPlan.Aot(noCache, noCache, false), watchdog);
  }

  /** Waits until the broker accepts connections, and says so; how long that took, if it did. */
  static Optional<Duration> awaitUp(Map<String, String> env, Duration timeout) throws InterruptedException {
    int port = port(env);
    Optional<Duration> up = awaitListening(port, timeout);
    Mesh.say(up.map(d -> String.format("kafka is up on 127.0.0.1:%d in %.2fs", port, d.toMillis() / 1000.0))
        .orElse("kafka is not listening on " + port + " after " + timeout.toSeconds() + "s; see its output above"));
    return up;
  }

  private static Optional<Duration> awaitListening(int port, Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    while (System.nanoTime() - start < timeout.toNanos()) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return Optional.of(Duration.ofNanos(System.nanoTime() - start));
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    return Optional.empty();
  }
}
