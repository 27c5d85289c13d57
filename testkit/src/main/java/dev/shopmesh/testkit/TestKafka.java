package dev.shopmesh.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A real Kafka broker (single-node KRaft, {@code dev.shopmesh.kafka.KafkaBroker}) in a JVM of
 * its own, started from the test classpath: {@link #shared()} is one per test JVM, like
 * {@link TestPostgres}; {@link #startNew()} gives a test one of its own to kill and restart.
 */
public final class TestKafka implements AutoCloseable {
  private static TestKafka shared;

  private final int port;
  private final int controllerPort;
  private final Path data;
  private final Path log;
  private Process process;

  private TestKafka() throws IOException {
    this.port = FreePorts.next();
    this.controllerPort = FreePorts.next();
    this.data = Files.createTempDirectory("test-kafka-");
    this.log = data.resolve("broker.log");
  }

  /** The broker of this test JVM, started on first use. */
  public static synchronized TestKafka shared() {
    if (shared == null) {
      shared = startNew();
      TestKafka broker = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(broker::kill));
    }
    return shared;
  }

  /** A broker of the caller's own; close it when done. */
  public static TestKafka startNew() {
    try {
      TestKafka broker = new TestKafka();
      broker.restart();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Starts the broker (again, on the same port and data) and waits until it answers. */
  public synchronized void restart() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(List.of("-XX:+UseSerialGC", "-Xms64m", "-Xmx192m", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.shopmesh.kafka.KafkaBroker");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment()
        .putAll(
            Map.of(
                "KAFKA_PORT", Integer.toString(port),
                "KAFKA_CONTROLLER_PORT", Integer.toString(controllerPort),
                "KAFKA_DATA_DIR", data.toString()));
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitReady(Duration.ofSeconds(90));
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = admin()) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("the Kafka broker exited; see " + log);
        }
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the Kafka broker did not answer in " + timeout + "; see " + log, e);
          }
          Thread.sleep(200);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL: the broker dies mid-write, as in a crash of its process. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** A topic of its own for a test, with {@code partitions} partitions. */
  public String newTopic(String prefix, int partitions) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return name;
  }

  public Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    return Admin.create(p);
  }

  /**
   * Records of {@code topic} from the beginning: at least {@code atLeast} of them (waiting up to
   * {@code timeout}), and then whatever more comes within one more second.
   */
  public List<ConsumerRecord<String, byte[]>> readAll(String topic, int atLeast, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (all.size() < atLeast && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(all::add);
      }
      long extra = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (System.nanoTime() < extra) {
        consumer.poll(Duration.ofMillis(200)).forEach(all::add);
      }
    }
    return all;
  }

  @Override
  public void close() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
