package dev.shopmesh.order;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.events.v1.OrderEvent;
import dev.shopmesh.order.v1.CancelOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.testkit.FaultProxy;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestKafka;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The transactional outbox and its relay, against a real Kafka broker and PostgreSQL. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutboxRelayTest {
  private static TestKafka kafka;
  private static String topic;
  private static Shop shop;
  private static String buyer;

  @BeforeAll
  static void start() {
    kafka = TestKafka.shared();
    topic = kafka.newTopic("order-events", 3);
    shop =
        new Shop(
            Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "ORDER_EVENTS_TOPIC", topic,
                "OUTBOX_POLL_INTERVAL", "200ms",
                "OUTBOX_RETENTION", "2s"));
    buyer = shop.newUser();
  }

  @AfterAll
  static void stop() {
    shop.close();
  }

  private static List<OrderEvent> eventsOf(String orderId, int atLeast) {
    return kafka.readAll(topic, atLeast, Duration.ofSeconds(30)).stream()
        .filter(r -> r.key().equals(orderId))
        .map(OutboxRelayTest::parse)
        .toList();
  }

  private static OrderEvent parse(ConsumerRecord<String, byte[]> record) {
    try {
      return OrderEvent.parseFrom(record.value());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static long unsent() {
    return SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM order_outbox WHERE sent_at IS NULL");
  }

  @Test
  void everyStateChangeOfAnOrderIsPublishedKeyedByTheOrderInSequence() {
    Order confirmed = shop.orderClient.createOrder(Shop.order(buyer, 1250, 2));
    Order declined = shop.orderClient.createOrder(Shop.order(buyer, 200_000, 1));
    shop.orderClient.cancelOrder(CancelOrderRequest.newBuilder().setOrderId(confirmed.getOrderId()).build());
    awaitTrue(() -> unsent() == 0);

    List<OrderEvent> ofConfirmed = eventsOf(confirmed.getOrderId(), 4);
    assertThat(ofConfirmed)
        .extracting(OrderEvent::getType, OrderEvent::getSequence, OrderEvent::getOrderState)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(OrderEvent.Type.ORDER_CONFIRMED, 1L, OrderEvent.OrderState.CONFIRMED),
            org.assertj.core.groups.Tuple.tuple(OrderEvent.Type.ORDER_CANCELLED, 2L, OrderEvent.OrderState.CANCELLED),
            org.assertj.core.groups.Tuple.tuple(OrderEvent.Type.ORDER_REFUNDED, 3L, OrderEvent.OrderState.CANCELLED));
    assertThat(ofConfirmed).allSatisfy(e -> {
      assertThat(e.getUserId()).isEqualTo(buyer);
      assertThat(e.getTotalMinor()).isEqualTo(2500);
      assertThat(e.getCurrencyCode()).isEqualTo("EUR");
      assertThat(e.getTraceparent()).as("the change's trace travels with the event").matches("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    });
    assertThat(ofConfirmed).extracting(OrderEvent::getEventId).doesNotHaveDuplicates();

    List<OrderEvent> ofDeclined = eventsOf(declined.getOrderId(), 4);
    assertThat(ofDeclined).extracting(OrderEvent::getType).containsExactly(OrderEvent.Type.ORDER_DECLINED);
    assertThat(ofDeclined.getFirst().getFailureReason()).isNotEmpty();
  }

  @Test
  void cancellingAPendingOrderWithNothingCapturedIsCancelledWithoutARefundEvent() {
    String orderId;
    shop.paymentLink.mode(FaultProxy.Mode.REFUSE);
    try {
      Order pending = shop.orderClient.createOrder(Shop.order(buyer, 700, 1));
      assertThat(pending.getState()).isEqualTo(Order.State.PENDING_PAYMENT);
      orderId = pending.getOrderId();
      shop.orderClient.cancelOrder(CancelOrderRequest.newBuilder().setOrderId(orderId).build());
    } finally {
      shop.paymentLink.mode(FaultProxy.Mode.PASS);
    }
    awaitTrue(() -> unsent() == 0 && SagaInvariants.unsettled(shop.ordersDb) == 0);

    assertThat(eventsOf(orderId, 1)).extracting(OrderEvent::getType).containsExactly(OrderEvent.Type.ORDER_CANCELLED);
  }

  @Test
  void theRelayDoesNotSkipARowThatCommittedAfterALaterOne() throws Exception {
    UUID early = UUID.randomUUID();
    UUID late = UUID.randomUUID();
    try (Connection first = shop.ordersDb.getConnection();
        Connection second = shop.ordersDb.getConnection()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      insertEvent(first, early); // takes the smaller id
      insertEvent(second, late); // the larger id...
      second.commit(); // ...commits first, and is published
      awaitTrue(() -> eventsOf(late.toString(), 1).size() == 1);
      first.commit(); // the smaller id commits after the relay has passed it
    }
    awaitTrue(() -> unsent() == 0);

    assertThat(eventsOf(early.toString(), 1)).as("the row that committed late").hasSize(1);
  }

  @Test
  void aLaterEventOfAnOrderWaitsUntilTheBrokerHasAcknowledgedTheEarlierOne() throws Exception {
    // The first event is too large for the producer (max.request.size, 1 MiB): its send fails
    // alone, as a batch the broker never got does. The second must not overtake it.
    UUID orderId = UUID.randomUUID();
    try (Connection c = shop.ordersDb.getConnection()) {
      c.setAutoCommit(false);
      insertEvent(c, orderId, 1, "x".repeat(2 << 20));
      insertEvent(c, orderId, 2, "");
      c.commit();
    }
    Order witness = shop.orderClient.createOrder(Shop.order(buyer, 500, 1));
    awaitTrue(() -> eventsOf(witness.getOrderId(), 1).size() == 1); // the relay is past both rows
    assertThat(eventsOf(orderId.toString(), 1)).as("nothing of the order while its first event fails").isEmpty();

    try (Connection c = shop.ordersDb.getConnection();
        PreparedStatement s = c.prepareStatement("UPDATE order_outbox SET failure_reason = '' WHERE order_id = ?")) {
      s.setObject(1, orderId);
      s.executeUpdate();
    }
    awaitTrue(() -> unsent() == 0);
    assertThat(eventsOf(orderId.toString(), 2)).extracting(OrderEvent::getSequence).containsExactly(1L, 2L);
  }

  private static void insertEvent(Connection c, UUID orderId) throws SQLException {
    insertEvent(c, orderId, 1, "");
  }

  private static void insertEvent(Connection c, UUID orderId, long sequence, String failureReason) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO order_outbox (event_id, order_id, user_id, sequence, type, order_state, total_minor, currency_code, failure_reason)"
                + " VALUES (?, ?, ?, ?, 'ORDER_CANCELLED', 'CANCELLED', 100, 'EUR', ?)")) {
      s.setObject(1, UUID.randomUUID());
      s.setObject(2, orderId);
      s.setObject(3, UUID.fromString(buyer));
      s.setLong(4, sequence);
      s.setString(5, failureReason);
      s.executeUpdate();
    }
  }

  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE) // it closes the shop's relay: the others need it
  void oneRelayIsActiveAcrossReplicasAndAnotherTakesOverWhenItStops() {
    Main.Running second = shop.startOrderReplica();
    try {
      awaitTrue(() -> shop.orders().relay().active());
      assertThat(second.relay().active()).as("the second replica's relay waits").isFalse();

      shop.orders().relay().close(); // its lock connection closes: the lock is free
      awaitTrue(() -> second.relay().active());
      Order order = shop.orderClient.createOrder(Shop.order(buyer, 300, 1));
      awaitTrue(() -> unsent() == 0);
      assertThat(eventsOf(order.getOrderId(), 1)).extracting(OrderEvent::getType).containsExactly(OrderEvent.Type.ORDER_CONFIRMED);
      assertThat(second.relay().sent()).isPositive();
    } finally {
      second.server().stop();
    }
  }

  @Test
  void sentRowsArePurgedAfterTheRetention() {
    Order order = shop.orderClient.createOrder(Shop.order(buyer, 400, 1));
    String sql = "SELECT count(*) FROM order_outbox WHERE order_id = '" + order.getOrderId() + "'";
    assertThat(SagaInvariants.count(shop.ordersDb, sql)).isEqualTo(1);
    awaitTrue(() -> SagaInvariants.count(shop.ordersDb, sql) == 0);
    assertThat(eventsOf(order.getOrderId(), 1)).hasSize(1);
  }

  static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 60 s");
      }
      Shop.sleep(100);
    }
  }
}
