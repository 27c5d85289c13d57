package dev.shopmesh.notification;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.fault.CrashPoints;
import dev.shopmesh.platform.kafka.KafkaSettings;
import dev.shopmesh.platform.kafka.TraceContexts;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the order events and turns each into one notification (docs/EVENTS.md).
 *
 * <p>Each poll's records are recorded in ONE database transaction (deduplicated by event id,
 * unreadable ones parked); only after that commit are the offsets committed to Kafka, and only
 * then is the {@link Notifier} called for the new ones. A crash before the offset commit makes
 * Kafka deliver the batch again, and the unique event id turns the redelivery into no change:
 * at-least-once delivery, exactly-once effect. A failure (database or broker down) closes the
 * consumer, which restarts from the committed offsets after a pause.
 */
public final class OrderEventConsumer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrderEventConsumer.class);

  /** Where {@link CrashPoints} may halt: after the database commit, before the offset commit. */
  static final String CRASH_AFTER_COMMIT = "consumer-after-commit";

  private static final AttributeKey<String> TOPIC = AttributeKey.stringKey("messaging.destination.name");

  /**
   * @param kafka {@code KAFKA_BOOTSTRAP_SERVERS} (unset: nothing is consumed) and {@code ORDER_EVENTS_TOPIC}
   * @param groupId {@code NOTIFICATION_GROUP_ID}: the consumer group, one for all replicas
   */
  record Settings(KafkaSettings kafka, String groupId) {
    static Settings from(Env env) {
      return new Settings(KafkaSettings.from(env), env.string("NOTIFICATION_GROUP_ID", "notification-svc"));
    }
  }

  private final Settings settings;
  private final NotificationStore store;
  private final Notifier notifier;
  private final CrashPoints crash;
  private final Tracer tracer;
  private final LongCounter recorded;
  private final LongCounter duplicates;
  private final LongCounter parked;
  private final AtomicLong duplicatesSeen = new AtomicLong();
  private final AtomicLong parkedSeen = new AtomicLong();
  private final AtomicLong recordedSeen = new AtomicLong();
  private volatile boolean closed;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private Thread thread;

  OrderEventConsumer(Settings settings, NotificationStore store, Notifier notifier, Telemetry telemetry, CrashPoints crash) {
    this.settings = settings;
    this.store = store;
    this.notifier = notifier;
    this.crash = crash;
    this.tracer = telemetry.tracer("dev.shopmesh.notification");
    Meter meter = telemetry.meter("dev.shopmesh.notification");
    this.recorded = meter.counterBuilder("shopmesh.notifications.recorded").setDescription("Notifications recorded, one per order event").setUnit("{notification}").build();
    this.duplicates =
        meter.counterBuilder("shopmesh.notifications.duplicates").setDescription("Order events delivered again and suppressed by their event id").setUnit("{event}").build();
    this.parked = meter.counterBuilder("shopmesh.notifications.parked").setDescription("Records that were not readable order events, parked").setUnit("{record}").build();
  }

  OrderEventConsumer start() {
    if (!settings.kafka().enabled()) {
      log.info("order event consumer off: KAFKA_BOOTSTRAP_SERVERS is not set");
      return this;
    }
    thread = Thread.ofPlatform().daemon().name("order-event-consumer").start(this::run);
    return this;
  }

  public long recorded() {
    return recordedSeen.get();
  }

  public long duplicates() {
    return duplicatesSeen.get();
  }

  public long parked() {
    return parkedSeen.get();
  }

  private void run() {
    Duration backoff = Duration.ofMillis(250);
    while (!closed) {
      try (KafkaConsumer<String, byte[]> c = newConsumer()) {
        consumer = c;
        if (closed) {
          break;
        }
        c.subscribe(List.of(settings.kafka().topic()));
        log.info("consuming {} as group {}", settings.kafka().topic(), settings.groupId());
        while (!closed) {
          ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(500));
          if (!records.isEmpty()) {
            handle(c, records);
          }
          backoff = Duration.ofMillis(250);
        }
      } catch (WakeupException e) {
        // close() woke it
      } catch (RuntimeException e) {
        if (closed) {
          break;
        }
        log.warn("order event consumer paused for {} ms: {}", backoff.toMillis(), e.toString());
        sleep(backoff);
        backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(5)) > 0 ? Duration.ofSeconds(5) : backoff.multipliedBy(2);
      } finally {
        consumer = null;
      }
    }
  }

  private KafkaConsumer<String, byte[]> newConsumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.kafka().bootstrapServers().orElseThrow());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "notification-svc");
    // Offsets are committed by hand, after the database transaction.
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // A new group starts at the beginning, so nothing published before it existed is missed.
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "200");
    p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(p);
  }

  private void handle(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records) {
    List<OrderEvents.Valid> events = new ArrayList<>();
    List<NotificationStore.Parked> poison = new ArrayList<>();
    List<Span> spans = new ArrayList<>();
    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
      try {
        OrderEvents.Valid event = OrderEvents.parse(r.value());
        events.add(event);
        spans.add(span(r, event));
      } catch (OrderEvents.Poison e) {
        log.error(
            "parked an unreadable record at {}-{} offset {} (key {}): {}; the consumer goes on",
            r.topic(), r.partition(), r.offset(), r.key(), e.getMessage());
        poison.add(new NotificationStore.Parked(r.topic(), r.partition(), r.offset(), r.key(), r.value(), e.getMessage()));
      }
    }
    NotificationStore.Recorded result;
    try {
      result = store.record(events, poison);
    } catch (RuntimeException e) {
      spans.forEach(s -> s.recordException(e).end());
      throw e;
    }
    for (OrderEvents.Valid late : result.outOfOrder()) {
      log.warn("order {}: event {} (sequence {}) arrived after a later one", late.orderId(), late.eventId(), late.event().getSequence());
    }
    if (result.duplicates() > 0) {
      // Redeliveries (a relay or a consumer that died before its bookkeeping): no effect twice.
      log.info("suppressed {} duplicate order events (already notified)", result.duplicates());
    }
    crash.reach(CRASH_AFTER_COMMIT);
    c.commitSync(next);
    recorded.add(result.created().size());
    duplicates.add(result.duplicates());
    parked.add(result.parked());
    recordedSeen.addAndGet(result.created().size());
    duplicatesSeen.addAndGet(result.duplicates());
    parkedSeen.addAndGet(result.parked());
    for (NotificationRow n : result.created()) {
      try {
        notifier.send(n);
      } catch (RuntimeException e) {
        log.warn("notifier failed for notification {}: {}", n.notificationId(), e.toString());
      }
    }
    spans.forEach(Span::end);
  }

  /**
   * A CONSUMER span in the trace of the order change: a child of the relay's publish span (the
   * record's traceparent header), linked to the change itself (the event's own trace context).
   */
  private Span span(ConsumerRecord<String, byte[]> r, OrderEvents.Valid event) {
    Context change = TraceContexts.extract(event.event().getTraceparent(), event.event().getTracestate());
    Header header = r.headers().lastHeader("traceparent");
    Context parent = header == null ? change : TraceContexts.extract(new String(header.value(), StandardCharsets.UTF_8), "");
    SpanContext changeSpan = Span.fromContext(change).getSpanContext();
    var builder =
        tracer
            .spanBuilder(r.topic() + " process")
            .setParent(parent)
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute(TOPIC, r.topic())
            .setAttribute("messaging.message.id", event.eventId().toString())
            .setAttribute("order.id", event.orderId().toString());
    if (changeSpan.isValid()) {
      builder.addLink(changeSpan);
    }
    return builder.startSpan();
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
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    if (thread != null) {
      try {
        thread.join(Duration.ofSeconds(15));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
