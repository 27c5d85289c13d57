package dev.shopmesh.order;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.db.DatabaseSettings;
import dev.shopmesh.platform.fault.CrashPoints;
import dev.shopmesh.platform.kafka.KafkaSettings;
import dev.shopmesh.platform.kafka.TraceContexts;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the outbox (docs/EVENTS.md): unsent rows of order_outbox go to the order-events
 * topic, keyed by order id, through an idempotent producer ({@code acks=all}); once the broker
 * has acknowledged them they are marked sent. Sent rows are purged after a retention time.
 *
 * <p>One relay is active across all replicas: the one whose dedicated connection holds a
 * PostgreSQL advisory lock. The others wait and try again, and take over within a poll interval
 * when the active one dies (its connection, and with it the lock, goes). The active relay LISTENs
 * on that connection and is woken by the NOTIFY that each outbox insert sends at commit; it also
 * polls, so a missed notification delays an event by one interval at most.
 *
 * <p>Delivery is at least once: a relay killed between the broker's acknowledgement and the
 * marking sends those rows again, and the consumer deduplicates by event id.
 */
final class OutboxRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

  /** The advisory lock key ("SHOPOBX1"): one relay per orders database. */
  static final long LOCK_KEY = 0x53484f504f425831L;

  /** Where {@link CrashPoints} may halt the relay: after the broker's ack, before marking sent. */
  static final String CRASH_AFTER_SEND = "relay-after-send";

  private static final AttributeKey<String> TOPIC = AttributeKey.stringKey("messaging.destination.name");

  /**
   * @param kafka {@code KAFKA_BOOTSTRAP_SERVERS} (unset: the relay is off and events wait in the
   *     table) and {@code ORDER_EVENTS_TOPIC}
   * @param pollInterval {@code OUTBOX_POLL_INTERVAL}: the longest an event waits when a
   *     notification is missed, and how often a standby replica asks for the lock
   * @param batch {@code OUTBOX_BATCH}: rows per publish round
   * @param retention {@code OUTBOX_RETENTION}: how long sent rows are kept
   */
  record Settings(KafkaSettings kafka, Duration pollInterval, int batch, Duration retention) {
    static Settings from(Env env) {
      return new Settings(
          KafkaSettings.from(env),
          env.duration("OUTBOX_POLL_INTERVAL", Duration.ofMillis(500)),
          env.integer("OUTBOX_BATCH", 500, 1, 10_000),
          env.duration("OUTBOX_RETENTION", Duration.ofHours(24)));
    }
  }

  private final Settings settings;
  private final DatabaseSettings database;
  private final OutboxStore store;
  private final CrashPoints crash;
  private final Tracer tracer;
  private final LongCounter published;
  private final AtomicLong sentTotal = new AtomicLong();
  private volatile boolean active;
  private volatile boolean closed;
  private Thread thread;
  private long lastPurgeNanos = System.nanoTime();

  OutboxRelay(Settings settings, DatabaseSettings database, OutboxStore store, Telemetry telemetry, CrashPoints crash) {
    this.settings = settings;
    this.database = database;
    this.store = store;
    this.crash = crash;
    this.tracer = telemetry.tracer("dev.shopmesh.order.outbox");
    Meter meter = telemetry.meter("dev.shopmesh.order.outbox");
    this.published =
        meter
            .counterBuilder("shopmesh.outbox.published")
            .setDescription("Order events the broker acknowledged (redeliveries included)")
            .setUnit("{event}")
            .build();
    meter
        .gaugeBuilder("shopmesh.outbox.backlog")
        .setDescription("Order events committed but not yet acknowledged by the broker")
        .setUnit("{event}")
        .ofLongs()
        .buildWithCallback(m -> m.record(store.backlog()));
    meter
        .gaugeBuilder("shopmesh.outbox.lag")
        .setDescription("How long the oldest unsent order event has waited")
        .setUnit("s")
        .buildWithCallback(m -> m.record(store.lag(Instant.now()).toMillis() / 1000.0));
  }

  /** Starts relaying in a thread of its own, unless Kafka is not configured. */
  OutboxRelay start() {
    if (!settings.kafka().enabled()) {
      log.info("outbox relay off: KAFKA_BOOTSTRAP_SERVERS is not set; order events wait in order_outbox");
      return this;
    }
    thread = Thread.ofPlatform().daemon().name("outbox-relay").start(this::run);
    return this;
  }

  /** Whether this replica's relay holds the lock and publishes. */
  boolean active() {
    return active;
  }

  /** Events this relay has had acknowledged since it started. */
  long sent() {
    return sentTotal.get();
  }

  private void run() {
    Duration backoff = Duration.ofMillis(250);
    while (!closed) {
      try {
        lead();
        backoff = Duration.ofMillis(250);
      } catch (Exception e) {
        if (closed) {
          break;
        }
        log.warn("outbox relay paused for {} ms: {}", backoff.toMillis(), e.toString());
        sleep(backoff);
        backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : backoff.multipliedBy(2);
      } finally {
        active = false;
      }
    }
  }

  /** Waits for the lock, then publishes until closed or something fails. */
  private void lead() throws SQLException, InterruptedException {
    Properties props = new Properties();
    if (database.user() != null) {
      props.setProperty("user", database.user());
    }
    if (database.password() != null) {
      props.setProperty("password", database.password());
    }
    props.setProperty("ApplicationName", "order-svc outbox relay");
    props.setProperty("tcpKeepAlive", "true");
    try (Connection lock = DriverManager.getConnection(database.jdbcUrl(), props)) {
      while (!closed && !tryLock(lock)) {
        sleep(settings.pollInterval());
      }
      if (closed) {
        return;
      }
      try (Statement s = lock.createStatement()) {
        s.execute("LISTEN order_outbox");
      }
      PGConnection listener = lock.unwrap(PGConnection.class);
      active = true;
      log.info("outbox relay active: publishing to {} at {}", settings.kafka().topic(), settings.kafka().bootstrapServers().orElseThrow());
      try (KafkaProducer<String, byte[]> producer = producer()) {
        while (!closed) {
          int sent = publishBatch(producer);
          purgeWhenDue();
          if (sent == 0) {
            // Woken by the next commit's NOTIFY, or after the poll interval; throws when the
            // connection (and with it the lock) is gone.
            listener.getNotifications((int) Math.max(1, settings.pollInterval().toMillis()));
          }
        }
      }
    }
  }

  private static boolean tryLock(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_KEY + ")")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private KafkaProducer<String, byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.kafka().bootstrapServers().orElseThrow());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "order-svc-outbox");
    // Idempotent: the broker drops a retried batch it already has, and keeps the order of
    // batches per partition (at most 5 in flight).
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // A broker that is down fails the round within seconds; the rows stay unsent and the
    // next round (with a new producer) sends them again.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "15000");
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  /** Sends one batch of unsent rows and marks those the broker acknowledged; returns how many. */
  int publishBatch(KafkaProducer<String, byte[]> producer) throws InterruptedException {
    List<OutboxStore.Row> rows = store.unsent(settings.batch());
    if (rows.isEmpty()) {
      return 0;
    }
    String topic = settings.kafka().topic();
    List<Future<RecordMetadata>> acks = new ArrayList<>(rows.size());
    for (OutboxStore.Row row : rows) {
      var event = row.event();
      // A PRODUCER span in the trace of the change the event reports.
      Context parent = TraceContexts.extract(event.getTraceparent(), event.getTracestate());
      Span span =
          tracer
              .spanBuilder(topic + " publish")
              .setParent(parent)
              .setSpanKind(SpanKind.PRODUCER)
              .setAttribute(TOPIC, topic)
              .setAttribute(OrderSaga.ORDER_ID, event.getOrderId())
              .setAttribute("messaging.message.id", event.getEventId())
              .startSpan();
      ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, event.getOrderId(), event.toByteArray());
      TraceContexts.W3c own;
      try (var scope = span.makeCurrent()) {
        own = TraceContexts.current();
      }
      if (!own.traceparent().isEmpty()) {
        record.headers().add("traceparent", own.traceparent().getBytes(StandardCharsets.UTF_8));
      }
      acks.add(
          producer.send(
              record,
              (metadata, error) -> {
                if (error != null) {
                  span.setStatus(StatusCode.ERROR, error.toString());
                }
                span.end();
              }));
    }
    List<Long> acknowledged = new ArrayList<>(rows.size());
    Exception failure = null;
    for (int i = 0; i < rows.size(); i++) {
      try {
        acks.get(i).get(30, TimeUnit.SECONDS);
        acknowledged.add(rows.get(i).id());
      } catch (ExecutionException | TimeoutException e) {
        failure = failure == null ? e : failure;
      }
    }
    crash.reach(CRASH_AFTER_SEND);
    store.markSent(acknowledged);
    published.add(acknowledged.size(), Attributes.of(TOPIC, topic));
    sentTotal.addAndGet(acknowledged.size());
    if (failure != null) {
      throw new IllegalStateException(
          (rows.size() - acknowledged.size()) + " of " + rows.size() + " events not acknowledged: " + failure.getCause(), failure);
    }
    return rows.size();
  }

  private void purgeWhenDue() {
    // Once a minute, or once a retention when that is shorter.
    Duration every = settings.retention().compareTo(Duration.ofMinutes(1)) < 0 ? settings.retention() : Duration.ofMinutes(1);
    if (System.nanoTime() - lastPurgeNanos < every.toNanos()) {
      return;
    }
    lastPurgeNanos = System.nanoTime();
    int purged = store.purge(settings.retention());
    if (purged > 0) {
      log.info("outbox: purged {} events sent more than {} ago", purged, settings.retention());
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
