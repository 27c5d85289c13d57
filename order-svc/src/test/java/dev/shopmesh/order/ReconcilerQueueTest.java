package dev.shopmesh.order;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.order.v1.GetOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.testkit.FaultProxy.Mode;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reconciler as a queue with back-off: orders that fail every time do not starve newer
 * ones, and no row lock or pooled connection is held while payment-svc is being called.
 */
class ReconcilerQueueTest {
  private Shop shop;

  @AfterEach
  void stop() {
    if (shop != null) {
      shop.close();
    }
  }

  private Order get(String id) {
    return shop.orderClient.getOrder(GetOrderRequest.newBuilder().setOrderId(id).build());
  }

  @Test
  void aHundredOrdersThatAlwaysFailDoNotStarveANewerOne() {
    shop = new Shop(Map.of("RECONCILE_ENABLED", "false", "RECONCILE_BACKOFF", "1m", "RECONCILE_BACKOFF_MAX", "1m"));
    // A full batch of orders that payment-svc refuses every time (a currency it does not know,
    // INVALID_ARGUMENT), older than anything else in the queue.
    TestPostgres.execute(
        shop.ordersDb,
        """
        INSERT INTO orders (order_id, user_id, currency_code, total_minor, state, request_hash,
                            create_time, update_time)
        SELECT gen_random_uuid(), gen_random_uuid(), 'ZZZ', 100, 'PENDING_PAYMENT', '\\x00'::bytea,
               now() - interval '1 hour', now() - interval '1 hour'
        FROM generate_series(1, 100)
        """);
    String buyer = shop.newUser();
    shop.paymentLink.mode(Mode.REFUSE);
    String newer = shop.orderClient.createOrder(Shop.order(buyer, 500, 1)).getOrderId();
    assertThat(get(newer).getState()).isEqualTo(Order.State.PENDING_PAYMENT);
    shop.paymentLink.mode(Mode.PASS);

    for (int pass = 0; pass < 3 && get(newer).getState() == Order.State.PENDING_PAYMENT; pass++) {
      shop.orders().reconciler().pass();
    }

    assertThat(get(newer).getState()).isEqualTo(Order.State.CONFIRMED);
    assertThat(SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM orders WHERE currency_code = 'ZZZ' AND attempts = 1"))
        .as("each failing order was tried once and moved back")
        .isEqualTo(100);
    assertThat(
            SagaInvariants.count(
                shop.ordersDb,
                "SELECT count(*) FROM orders WHERE currency_code = 'ZZZ' AND next_attempt_at > now() + interval '20 seconds'"))
        .as("and is not due again before its back-off")
        .isEqualTo(100);
  }

  @Test
  void noRowLockNorTransactionIsHeldWhilePaymentSvcIsCalled() throws Exception {
    shop = new Shop(Map.of("RECONCILE_ENABLED", "false", "PAYMENT_SVC_TIMEOUT", "20s"));
    String buyer = shop.newUser();
    // A first order opens order-svc's connection to payment-svc (a connection cannot open while
    // answers are held back); the second is left pending as if payment-svc had been down.
    shop.orderClient.createOrder(Shop.order(buyer, 100, 1));
    String id = java.util.UUID.randomUUID().toString();
    TestPostgres.execute(
        shop.ordersDb,
        "INSERT INTO orders (order_id, user_id, currency_code, total_minor, state, request_hash)"
            + " VALUES ('" + id + "', '" + buyer + "', 'EUR', 700, 'PENDING_PAYMENT', '\\x00'::bytea)");
    shop.paymentLink.mode(Mode.HOLD_RESPONSES);

    CompletableFuture<Integer> pass = CompletableFuture.supplyAsync(() -> shop.orders().reconciler().pass());
    awaitPayment(id);

    // The Charge has been made and its answer is held back: the reconciler is inside the call.
    try (Connection c = shop.ordersDb.getConnection();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      try (ResultSet rs = s.executeQuery("SELECT state FROM orders WHERE order_id = '" + id + "' FOR UPDATE NOWAIT")) {
        assertThat(rs.next()).as("the order row is not locked").isTrue();
      }
      c.rollback();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                  + " AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()")) {
        rs.next();
        assertThat(rs.getLong(1)).as("sessions in an open transaction").isZero();
      }
      c.rollback();
    }

    shop.paymentLink.cutAll();
    shop.paymentLink.mode(Mode.PASS);
    pass.join();
    for (int i = 0; i < 5 && get(id).getState() == Order.State.PENDING_PAYMENT; i++) {
      Shop.sleep(600); // past the back-off (at most 500 ms here)
      shop.orders().reconciler().pass();
    }
    assertThat(get(id).getState()).isEqualTo(Order.State.CONFIRMED);
    System.out.println(SagaInvariants.checkSettled(shop.ordersDb, shop.paymentsDb, java.util.List.of(id), shop.paymentClient));
  }

  private void awaitPayment(String orderId) throws InterruptedException, SQLException {
    for (int i = 0; i < 200; i++) {
      if (SagaInvariants.count(shop.paymentsDb, "SELECT count(*) FROM payments WHERE order_id = '" + orderId + "'") > 0) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the reconciler's Charge never reached payment-svc");
  }
}
