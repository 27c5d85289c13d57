package dev.shopmesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.shopmesh.events.v1.OrderEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import dev.shopmesh.testkit.TestUsers;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Jepsen-style: a few hundred orders placed and cancelled through the REST edge of {@code ./mesh
 * up} (two replicas of everything) while the broker is SIGKILLed, order-svc replicas (the relay)
 * and notification-svc replicas (the consumer) are SIGKILLed, PostgreSQL is restarted, and the
 * relay and the consumer halt at their worst moments (crash points: after the broker's ack and
 * before marking the rows sent; after the database commit and before the offset commit). Then
 * everything heals, and a checker compares what went in with what came out.
 */
class OrderEventsFaultTest {
  private static final int ORDERS = 300;
  private static final int CLIENTS = 6;
  private static final Duration CHAOS_AT_MOST = Duration.ofSeconds(120);
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern SUPPRESSED = Pattern.compile("suppressed (\\d+) duplicate order events");

  /** What a client was told about one order: the states its calls returned. */
  private final Map<String, Set<String>> told = new ConcurrentHashMap<>();
  private final Map<String, String> ownerOf = new ConcurrentHashMap<>();

  @Test
  void everyOrderChangeAClientWasToldAboutYieldsExactlyOneNotificationThroughCrashes() throws Exception {
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    System.out.println("events chaos seed " + seed + " (rerun with -Dchaos.seed=" + seed + ")");
    Random random = new Random(seed);
    try (MeshProcess mesh =
        new MeshProcess(
            2,
            Map.of(
                // Each window once for sure (a probability missed both in a short run), then by
                // the SIGKILLs below.
                "FAULT_CRASH_POINTS", "relay-after-send:once,consumer-after-commit:once",
                "FAULT_CRASH_STATE_DIR", Files.createTempDirectory("crash-points-").toString(),
                "OUTBOX_POLL_INTERVAL", "200ms"))) {
      mesh.awaitUp(Duration.ofMinutes(4));
      List<TestUsers.SignedIn> users = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        users.add(TestUsers.signUpRest(mesh.restUrl()));
      }

      AtomicBoolean done = new AtomicBoolean();
      Map<String, AtomicInteger> faults = new ConcurrentHashMap<>();
      Thread chaos = Thread.ofPlatform().start(() -> chaos(mesh, new Random(seed + 1), done, faults));
      AtomicInteger placed = new AtomicInteger();
      AtomicInteger failedCalls = new AtomicInteger();
      AtomicInteger cancels = new AtomicInteger();
      long chaosEnds = System.nanoTime() + CHAOS_AT_MOST.toNanos();
      try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
        for (int c = 0; c < CLIENTS; c++) {
          long clientSeed = random.nextLong();
          clients.submit(
              () -> {
                Random r = new Random(clientSeed);
                while (placed.get() < ORDERS && System.nanoTime() < chaosEnds) {
                  Thread.sleep(100 + r.nextInt(400)); // spread over the chaos
                  TestUsers.SignedIn user = users.get(r.nextInt(users.size()));
                  long price = r.nextInt(8) == 0 ? 150_000 : 100 + r.nextInt(5_000);
                  try {
                    JsonObject order = post(mesh, "/v1/orders", orderJson(user.userId(), price), user.token());
                    String id = field(order, "orderId");
                    placed.incrementAndGet();
                    ownerOf.put(id, user.userId());
                    tell(id, field(order, "state"));
                    if (r.nextInt(3) == 0 && !field(order, "state").equals("PAYMENT_DECLINED")) {
                      JsonObject cancelled = post(mesh, "/v1/orders/" + id + ":cancel", "{}", user.token());
                      tell(id, field(cancelled, "state"));
                      cancels.incrementAndGet();
                    }
                  } catch (CallFailed | IOException e) {
                    failedCalls.incrementAndGet(); // not told: no change is promised
                  }
                }
                return null;
              });
        }
      }
      done.set(true);
      chaos.join();

      // Heal: the launcher restarts whatever was killed; wait until the outbox is sent, no order
      // is left unsettled, and every event is a notification.
      PGSimpleDataSource orders = database(mesh, "orders");
      PGSimpleDataSource notifications = database(mesh, "notifications");
      long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
      while (System.nanoTime() < deadline) {
        long unsent = count(orders, "SELECT count(*) FROM order_outbox WHERE sent_at IS NULL");
        long unsettled = count(orders, "SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT' OR refund_pending");
        long events = count(orders, "SELECT count(*) FROM order_outbox");
        long notified = count(notifications, "SELECT count(*) FROM notifications");
        if (unsent == 0 && unsettled == 0 && notified >= events) {
          break;
        }
        Thread.sleep(500);
      }
      Thread.sleep(2000); // a redelivery still in flight would show now

      Check check = check(mesh, orders, notifications);
      int relayCrashes = countLines(mesh, "FAULT: crash point relay-after-send");
      int consumerCrashes = countLines(mesh, "FAULT: crash point consumer-after-commit");
      long suppressed = mesh.output().stream().map(SUPPRESSED::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1))).sum();
      System.out.printf(
          "events chaos (seed %d): %d orders placed, %d changes told to clients, %d cancels, %d client calls failed;"
              + " faults %s, %d relay and %d consumer crash points hit;"
              + " %d events in the outbox, %d records on the topic (%d duplicates sent), %d duplicates suppressed by the consumer,"
              + " %d notifications%n",
          seed, ownerOf.size(), told.values().stream().mapToInt(Set::size).sum(), cancels.get(), failedCalls.get(),
          faults, relayCrashes, consumerCrashes, check.events, check.records, check.records - check.distinctRecords, suppressed,
          check.notifications);

      assertThat(check.problems).as("what went in must come out").isEmpty();
      assertThat(relayCrashes).as("a relay halted once between the broker's ack and marking its rows").isEqualTo(1);
      assertThat(consumerCrashes).as("a consumer halted once between its commit and the offsets'").isEqualTo(1);
      assertThat(check.records - check.distinctRecords).as("the rows of the halted relay were sent again").isPositive();
      assertThat(ownerOf).as("orders placed").hasSizeGreaterThan(ORDERS / 3);
      assertThat(faults.values().stream().mapToInt(AtomicInteger::get).sum()).as("processes were killed").isPositive();
      assertThat(check.notifications).isEqualTo(check.events);
      assertThat(check.records - check.distinctRecords + suppressed)
          .as("the broker delivered duplicates, and the consumer suppressed them")
          .isPositive();
      assertThat(suppressed).as("duplicates reached the consumer and changed nothing").isPositive();
    }
  }

  private void tell(String orderId, String state) {
    told.computeIfAbsent(orderId, k -> ConcurrentHashMap.newKeySet()).add(state);
  }

  /** Kills a random part every 1-3 s until done: the broker, a relay, a consumer, or PostgreSQL (crash and recovery). */
  private static void chaos(MeshProcess mesh, Random r, AtomicBoolean done, Map<String, AtomicInteger> faults) {
    int pgRestarts = 0;
    // Each kind of fault once, in a random order, then at random.
    List<String> first = new ArrayList<>(List.of("kafka", "order-svc-1", "notification-svc-2", "postgres"));
    java.util.Collections.shuffle(first, r);
    try {
      while (!done.get()) {
        Thread.sleep(1000 + r.nextInt(2000));
        if (done.get()) {
          break;
        }
        int pick = r.nextInt(10);
        String what;
        if (!first.isEmpty()) {
          what = first.removeFirst();
        } else if (pick < 3) {
          what = "kafka";
        } else if (pick < 6) {
          what = "order-svc-" + (1 + r.nextInt(2));
        } else if (pick < 9) {
          what = "notification-svc-" + (1 + r.nextInt(2));
        } else {
          what = pgRestarts < 2 ? "postgres" : "kafka";
        }
        if (what.equals("postgres")) {
          pgRestarts++;
          crashPostgres(mesh);
        } else {
          mesh.pid(what).flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
        }
        faults.computeIfAbsent(what.replaceAll("-\\d$", ""), k -> new AtomicInteger()).incrementAndGet();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Crashes PostgreSQL: SIGKILL of one of its server processes makes the postmaster end every
   * other one and restart in crash recovery (restart_after_crash), as after a crash of the
   * server; every client connection is cut. pg_ctl refuses to run as root, so this is the
   * restart a test running as root can cause.
   */
  private static void crashPostgres(MeshProcess mesh) {
    PGSimpleDataSource admin = database(mesh, "postgres");
    long pid = count(admin, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = 'orders' LIMIT 1");
    if (pid > 0) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** The checker's findings and figures. */
  private record Check(List<String> problems, long events, long records, long distinctRecords, long notifications) {}

  private record Event(String eventId, String orderId, String userId, long sequence, String type, String state) {}

  private record Told(String eventId, String orderId, String userId, long sequence, String kind) {}

  private Check check(MeshProcess mesh, PGSimpleDataSource ordersDb, PGSimpleDataSource notificationsDb) throws SQLException {
    List<String> problems = new ArrayList<>();
    Map<String, Event> events = new HashMap<>();
    Map<String, List<Event>> eventsOfOrder = new HashMap<>();
    query(ordersDb, "SELECT * FROM order_outbox ORDER BY order_id, sequence", rs -> {
      Event e = new Event(rs.getString("event_id"), rs.getString("order_id"), rs.getString("user_id"), rs.getLong("sequence"), rs.getString("type"), rs.getString("order_state"));
      events.put(e.eventId(), e);
      eventsOfOrder.computeIfAbsent(e.orderId(), k -> new ArrayList<>()).add(e);
    });
    Map<String, String> stateOf = new HashMap<>();
    query(ordersDb, "SELECT order_id, state FROM orders", rs -> stateOf.put(rs.getString(1), rs.getString(2)));
    List<Told> notified = new ArrayList<>();
    query(notificationsDb, "SELECT * FROM notifications ORDER BY notification_id", rs -> notified.add(
        new Told(rs.getString("event_id"), rs.getString("order_id"), rs.getString("user_id"), rs.getLong("sequence"), rs.getString("kind"))));

    // The outbox is what happened: one event per committed change, numbered 1..n per order,
    // the last one in the order's final state.
    eventsOfOrder.forEach((order, list) -> {
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).sequence() != i + 1) {
          problems.add("order " + order + ": outbox sequences " + list.stream().map(Event::sequence).toList());
          break;
        }
      }
      if (!list.getLast().state().equals(stateOf.get(order))) {
        problems.add("order " + order + " is " + stateOf.get(order) + " but its last event says " + list.getLast().state());
      }
    });
    stateOf.forEach((order, state) -> {
      if (!state.equals("PENDING_PAYMENT") && !eventsOfOrder.containsKey(order)) {
        problems.add("order " + order + " is " + state + " with no event");
      }
    });

    // Every notification comes from an event that happened, for that event's user; no event twice.
    Map<String, Integer> timesNotified = new HashMap<>();
    Map<String, Long> lastSequence = new HashMap<>();
    for (Told n : notified) {
      timesNotified.merge(n.eventId(), 1, Integer::sum);
      Event e = events.get(n.eventId());
      if (e == null) {
        problems.add("notification for event " + n.eventId() + " (order " + n.orderId() + "), which did not happen");
        continue;
      }
      if (!e.userId().equals(n.userId()) || !e.orderId().equals(n.orderId()) || e.sequence() != n.sequence() || !e.type().equals(n.kind())) {
        problems.add("notification " + n + " does not match its event " + e);
      }
      long last = lastSequence.getOrDefault(n.orderId(), 0L);
      if (n.sequence() <= last) {
        problems.add("order " + n.orderId() + ": notification of sequence " + n.sequence() + " recorded after " + last);
      }
      lastSequence.put(n.orderId(), Math.max(last, n.sequence()));
    }
    timesNotified.forEach((event, times) -> {
      if (times != 1) {
        problems.add("event " + event + " notified " + times + " times");
      }
    });
    for (Event e : events.values()) {
      if (!timesNotified.containsKey(e.eventId())) {
        problems.add("event " + e + " was never notified");
      }
    }

    // What each client was told: exactly one notification of it, for the order's owner.
    Map<String, List<Told>> notifiedOfOrder = new HashMap<>();
    notified.forEach(n -> notifiedOfOrder.computeIfAbsent(n.orderId(), k -> new ArrayList<>()).add(n));
    Map<String, String> kindOfState = Map.of("CONFIRMED", "ORDER_CONFIRMED", "PAYMENT_DECLINED", "ORDER_DECLINED", "CANCELLED", "ORDER_CANCELLED");
    told.forEach((order, states) -> {
      for (String state : states) {
        String kind = kindOfState.get(state);
        if (kind == null) {
          continue; // PENDING_PAYMENT: no change was promised
        }
        List<Told> of = notifiedOfOrder.getOrDefault(order, List.of()).stream().filter(n -> n.kind().equals(kind)).toList();
        if (of.size() != 1) {
          problems.add("order " + order + ": the client was told " + state + ", and " + of.size() + " " + kind + " notifications exist");
        } else if (!of.getFirst().userId().equals(ownerOf.get(order))) {
          problems.add("order " + order + ": notified to " + of.getFirst().userId() + ", not its owner " + ownerOf.get(order));
        }
      }
    });

    // The topic, read from the beginning: duplicates the relay sent are there to count.
    List<ConsumerRecord<String, byte[]>> records = readTopic(mesh);
    Set<String> distinct = new HashSet<>();
    for (ConsumerRecord<String, byte[]> r : records) {
      try {
        distinct.add(OrderEvent.parseFrom(r.value()).getEventId());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        problems.add("unreadable record at offset " + r.offset());
      }
    }
    if (!distinct.containsAll(events.keySet())) {
      problems.add("events of the outbox missing from the topic");
    }
    return new Check(problems, events.size(), records.size(), distinct.size(), notified.size());
  }

  private static List<ConsumerRecord<String, byte[]>> readTopic(MeshProcess mesh) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + mesh.kafkaPort);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "checker-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of("shopmesh.order-events.v1"));
      long quietSince = System.nanoTime();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      // Until nothing more has come for 3 s (after the group has joined and read something).
      while (System.nanoTime() < deadline && (all.isEmpty() || System.nanoTime() - quietSince < Duration.ofSeconds(3).toNanos())) {
        var batch = consumer.poll(Duration.ofMillis(500));
        if (!batch.isEmpty()) {
          batch.forEach(all::add);
          quietSince = System.nanoTime();
        }
      }
    }
    return all;
  }

  private static int countLines(MeshProcess mesh, String text) {
    return (int) mesh.output().stream().filter(l -> l.contains(text)).count();
  }

  /** A call that did not answer 200: the client was told it failed. */
  private static final class CallFailed extends Exception {
    private static final long serialVersionUID = 1L;

    CallFailed(String message) {
      super(message, null, false, false);
    }
  }

  private static JsonObject post(MeshProcess mesh, String path, String body, String token)
      throws IOException, InterruptedException, CallFailed {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(URI.create(mesh.restUrl() + path))
                .timeout(Duration.ofSeconds(20))
                .header("authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new CallFailed(response.statusCode() + " " + response.body());
    }
    return JsonParser.parseString(response.body()).getAsJsonObject();
  }

  private static String orderJson(String userId, long unitPrice) {
    return """
        {"userId": "%s", "currencyCode": "EUR", "items": [{"sku": "chaos", "quantity": 1, "unitPriceMinor": "%d"}]}"""
        .formatted(userId, unitPrice);
  }

  private static String field(JsonObject json, String name) {
    return json.get(name).getAsString();
  }

  private static PGSimpleDataSource database(MeshProcess mesh, String name) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {mesh.pgPort});
    ds.setDatabaseName(name);
    ds.setUser("postgres");
    return ds;
  }

  @FunctionalInterface
  private interface Row {
    void read(ResultSet rs) throws SQLException;
  }

  private static void query(PGSimpleDataSource db, String sql, Row row) throws SQLException {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        row.read(rs);
      }
    }
  }

  /** A count, or -1 while the database cannot be reached (it may be restarting). */
  private static long count(PGSimpleDataSource db, String sql) {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      return -1;
    }
  }
}
