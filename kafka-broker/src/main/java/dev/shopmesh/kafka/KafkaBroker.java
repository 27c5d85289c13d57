package dev.shopmesh.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A single-node Kafka broker in KRaft mode (one process is broker and controller), run from the
 * Kafka jars on Maven Central: what {@code ./mesh up} and the tests use instead of a container.
 *
 * <p>Configured from the environment: {@code KAFKA_PORT} (client listener, default 9092),
 * {@code KAFKA_CONTROLLER_PORT} (default KAFKA_PORT + 1), {@code KAFKA_HOST} (default
 * {@code 127.0.0.1}: loopback only), {@code KAFKA_DATA_DIR} (default {@code .mesh/kafka}). The
 * data directory is formatted on the first start (a new cluster id) and reused after that, so a
 * restarted broker (SIGKILL included) comes back with its topics, offsets and producer state.
 * The broker runs in the foreground until SIGTERM, which shuts it down cleanly.
 */
public final class KafkaBroker {
  private KafkaBroker() {}

  public static void main(String[] args) throws Exception {
    // Before any logger exists: the broker's own quiet logback configuration.
    System.setProperty("logback.configurationFile", "kafka-broker-logback.xml");
    Map<String, String> env = System.getenv();
    int port = Integer.parseInt(env.getOrDefault("KAFKA_PORT", "9092"));
    int controllerPort = Integer.parseInt(env.getOrDefault("KAFKA_CONTROLLER_PORT", Integer.toString(port + 1)));
    String host = env.getOrDefault("KAFKA_HOST", "127.0.0.1");
    Path data = Path.of(env.getOrDefault("KAFKA_DATA_DIR", ".mesh/kafka")).toAbsolutePath();

    Path config = writeConfig(data, host, port, controllerPort);
    formatOnce(data, config);
    System.err.println("kafka-broker: starting on " + host + ":" + port + ", data in " + data);
    kafka.Kafka.main(new String[] {config.toString()});
  }

  /** server.properties for one combined broker+controller with replication factors of 1. */
  static Path writeConfig(Path data, String host, int port, int controllerPort) throws IOException {
    Files.createDirectories(data);
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + host + ":" + controllerPort);
    p.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", data.resolve("logs").toString());
    p.put("metadata.log.dir", data.resolve("metadata").toString());
    // One node: every internal topic has one replica, and one replica is enough to ack.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "3");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("num.partitions", "3");
    p.put("auto.create.topics.enable", "true");
    // A consumer joining an empty group starts at once instead of waiting 3 s for others.
    p.put("group.initial.rebalance.delay.ms", "0");
    // Small: a laptop's broker, not a data centre's.
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "2");
    p.put("num.recovery.threads.per.data.dir", "1");
    p.put("background.threads", "2");
    // The log cleaner (compacted __consumer_offsets) takes 128 MB of heap by default.
    p.put("log.cleaner.threads", "1");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(8 * 1024 * 1024));
    p.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
    p.put("log.retention.hours", "168");
    StringBuilder text = new StringBuilder("# written by dev.shopmesh.kafka.KafkaBroker at each start\n");
    p.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Path config = data.resolve("server.properties");
    Files.writeString(config, text.toString());
    return config;
  }

  /** Formats the data directories the first time (kafka-storage format), never again. */
  static void formatOnce(Path data, Path config) throws IOException {
    if (Files.exists(data.resolve("metadata").resolve("meta.properties"))) {
      return;
    }
    String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code;
    try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      code = kafka.tools.StorageTool.execute(
          new String[] {"format", "--ignore-formatted", "-t", clusterId, "-c", config.toString()}, print);
    }
    if (code != 0) {
      throw new UncheckedIOException(
          new IOException("kafka-storage format failed (" + code + "): " + out.toString(StandardCharsets.UTF_8)));
    }
    System.err.println("kafka-broker: formatted " + data + " as cluster " + clusterId);
  }
}
