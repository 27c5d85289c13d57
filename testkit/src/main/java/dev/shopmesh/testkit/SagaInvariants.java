package dev.shopmesh.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.payment.v1.ListPaymentsRequest;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * DESIGN.md's saga invariants, checked the way Jepsen's bank checker sums balances: read every
 * order and every payment from the two services' own tables, join them, and assert.
 */
public final class SagaInvariants {
  public record OrderFact(UUID orderId, String state, long total, UUID paymentId, boolean refundPending) {}

  public record PaymentFact(UUID paymentId, UUID orderId, String state, long amount) {}

  /** What was checked, for the test to print. */
  public record Counts(
      int orders, int payments, int confirmed, int declined, int cancelled, int pending, int refunded) {
    @Override
    public String toString() {
      return "checked %d orders (%d confirmed, %d declined, %d cancelled, %d pending) and %d payments (%d refunded)"
          .formatted(orders, confirmed, declined, cancelled, pending, payments, refunded);
    }
  }

  private SagaInvariants() {}

  /**
   * Asserts every invariant. {@code clientOrderIds} are the ids clients were given; {@code
   * paymentApi}, when not null, also checks through ListPayments that each order has at most one
   * payment there.
   */
  public static Counts check(
      DataSource ordersDb,
      DataSource paymentsDb,
      Collection<String> clientOrderIds,
      PaymentServiceGrpc.PaymentServiceBlockingStub paymentApi) {
    Map<UUID, OrderFact> orders = new HashMap<>();
    query(
        ordersDb,
        "SELECT order_id, state, total_minor, payment_id, refund_pending FROM orders",
        rs ->
            orders.put(
                rs.getObject(1, UUID.class),
                new OrderFact(
                    rs.getObject(1, UUID.class),
                    rs.getString(2),
                    rs.getLong(3),
                    rs.getObject(4, UUID.class),
                    rs.getBoolean(5))));
    Map<UUID, List<PaymentFact>> paymentsByOrder = new HashMap<>();
    List<PaymentFact> payments = new ArrayList<>();
    query(
        paymentsDb,
        "SELECT payment_id, order_id, state, amount_minor FROM payments",
        rs -> {
          var p =
              new PaymentFact(
                  rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3), rs.getLong(4));
          payments.add(p);
          paymentsByOrder.computeIfAbsent(p.orderId(), k -> new ArrayList<>()).add(p);
        });

    for (String id : clientOrderIds) {
      assertThat(orders).as("every order a client got an id for exists").containsKey(UUID.fromString(id));
    }
    for (PaymentFact p : payments) {
      assertThat(orders).as("payment %s belongs to an existing order", p.paymentId()).containsKey(p.orderId());
    }
    int confirmed = 0, declined = 0, cancelled = 0, pending = 0;
    for (OrderFact o : orders.values()) {
      List<PaymentFact> ps = paymentsByOrder.getOrDefault(o.orderId(), List.of());
      assertThat(ps).as("order %s has at most one payment", o.orderId()).hasSizeLessThanOrEqualTo(1);
      switch (o.state()) {
        case "CONFIRMED" -> {
          confirmed++;
          assertThat(ps)
              .as("CONFIRMED order %s has exactly one CAPTURED payment of its amount", o.orderId())
              .singleElement()
              .satisfies(p -> assertThat(p.state()).isEqualTo("CAPTURED"))
              .satisfies(p -> assertThat(p.amount()).isEqualTo(o.total()))
              .satisfies(p -> assertThat(p.paymentId()).isEqualTo(o.paymentId()));
        }
        case "PAYMENT_DECLINED" -> {
          declined++;
          assertThat(ps)
              .as("PAYMENT_DECLINED order %s has its DECLINED payment", o.orderId())
              .singleElement()
              .satisfies(p -> assertThat(p.state()).isEqualTo("DECLINED"));
        }
        case "CANCELLED" -> {
          cancelled++;
          if (!o.refundPending()) {
            assertThat(ps)
                .as("CANCELLED order %s keeps no CAPTURED payment", o.orderId())
                .noneMatch(p -> p.state().equals("CAPTURED"));
          }
        }
        default -> pending++;
      }
      if (paymentApi != null) {
        assertThat(
                paymentApi
                    .listPayments(ListPaymentsRequest.newBuilder().setOrderId(o.orderId().toString()).build())
                    .getPaymentsCount())
            .as("ListPayments of order %s", o.orderId())
            .isEqualTo(ps.size());
      }
    }
    int refunded = (int) payments.stream().filter(p -> p.state().equals("REFUNDED")).count();
    return new Counts(orders.size(), payments.size(), confirmed, declined, cancelled, pending, refunded);
  }

  /** Asserts the invariants and that nothing is left for the reconciler. */
  public static Counts checkSettled(
      DataSource ordersDb,
      DataSource paymentsDb,
      Collection<String> clientOrderIds,
      PaymentServiceGrpc.PaymentServiceBlockingStub paymentApi) {
    assertThat(unsettled(ordersDb)).as("orders left PENDING_PAYMENT or with a refund pending").isZero();
    return check(ordersDb, paymentsDb, clientOrderIds, paymentApi);
  }

  public static long unsettled(DataSource ordersDb) {
    long[] n = new long[1];
    query(
        ordersDb,
        "SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT' OR refund_pending",
        rs -> n[0] = rs.getLong(1));
    return n[0];
  }

  public static long count(DataSource db, String sql) {
    long[] n = new long[1];
    query(db, sql, rs -> n[0] = rs.getLong(1));
    return n[0];
  }

  public interface RowReader {
    void read(ResultSet rs) throws SQLException;
  }

  public static void query(DataSource db, String sql, RowReader reader) {
    try (Connection c = db.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        reader.read(rs);
      }
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e.getMessage(), e);
    }
  }
}
