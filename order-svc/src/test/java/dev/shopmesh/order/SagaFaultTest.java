package dev.shopmesh.order;

import dev.shopmesh.testkit.SagaInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.order.v1.CancelOrderRequest;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.GetOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.payment.v1.ListPaymentsRequest;
import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.testkit.FaultProxy.Mode;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Faults injected on the wire between order-svc and its peers, each on a fresh shop; the
 * DESIGN.md invariants are checked afterwards through the services' APIs and tables.
 */
class SagaFaultTest {
  private Shop shop;

  private Shop shop(Map<String, String> orderEnv) {
    shop = new Shop(orderEnv);
    return shop;
  }

  @AfterEach
  void stop() {
    if (shop != null) {
      shop.close();
    }
  }

  private Order get(String orderId) {
    return shop.orderClient.getOrder(GetOrderRequest.newBuilder().setOrderId(orderId).build());
  }

  private List<Payment> paymentsOf(String orderId) {
    return shop.paymentClient
        .listPayments(ListPaymentsRequest.newBuilder().setOrderId(orderId).build())
        .getPaymentsList();
  }

  private long paymentRows() {
    return SagaInvariants.count(shop.paymentsDb, "SELECT count(*) FROM payments");
  }

  @Test
  void paymentDownDuringCreateOrderLeavesItPendingUntilTheReconcilerConfirmsIt() {
    shop(Map.of("RECONCILE_ENABLED", "false", "PAYMENT_SVC_MAX_ATTEMPTS", "2"));
    String buyer = shop.newUser();
    shop.paymentLink.mode(Mode.REFUSE);

    Order pending = shop.orderClient.createOrder(Shop.order(buyer, 1500, 2));

    assertThat(pending.getState()).isEqualTo(Order.State.PENDING_PAYMENT);
    assertThat(pending.getPaymentId()).isEmpty();
    assertThat(paymentRows()).isZero();

    shop.paymentLink.mode(Mode.PASS);
    shop.reconcileUntilSettled(100);

    Order confirmed = get(pending.getOrderId());
    assertThat(confirmed.getState()).isEqualTo(Order.State.CONFIRMED);
    assertThat(paymentsOf(pending.getOrderId())).singleElement()
        .satisfies(p -> assertThat(p.getPaymentId()).isEqualTo(confirmed.getPaymentId()));
    System.out.println(SagaInvariants.checkSettled(shop.ordersDb, shop.paymentsDb, List.of(pending.getOrderId()), shop.paymentClient));
  }

  @Test
  void aChargeWhoseAnswerIsLostEndsConfirmedWithTheOnePaymentThatWasCommitted() {
    shop(Map.of("RECONCILE_ENABLED", "false", "PAYMENT_SVC_TIMEOUT", "1s"));
    String buyer = shop.newUser();
    shop.orderClient.createOrder(Shop.order(buyer, 10, 1)); // the connection to payment-svc is up
    long before = paymentRows();
    shop.paymentLink.mode(Mode.HOLD_RESPONSES);

    Order pending = shop.orderClient.createOrder(Shop.order(buyer, 2500, 1));

    assertThat(pending.getState()).as("the answer never came").isEqualTo(Order.State.PENDING_PAYMENT);
    assertThat(paymentRows()).as("but payment-svc committed the charge").isEqualTo(before + 1);
    shop.paymentLink.mode(Mode.PASS);
    shop.paymentLink.cutAll();
    shop.orders().reconciler().pass();

    Order confirmed = get(pending.getOrderId());
    assertThat(confirmed.getState()).isEqualTo(Order.State.CONFIRMED);
    assertThat(paymentsOf(pending.getOrderId())).singleElement();
    assertThat(paymentRows()).isEqualTo(before + 1);
    System.out.println(SagaInvariants.checkSettled(shop.ordersDb, shop.paymentsDb, List.of(pending.getOrderId()), shop.paymentClient));
  }

  @Test
  void aConnectionCutAfterTheChargeCommittedIsRetriedIntoTheSamePayment() throws Exception {
    shop(Map.of("RECONCILE_ENABLED", "false", "PAYMENT_SVC_TIMEOUT", "10s"));
    String buyer = shop.newUser();
    shop.orderClient.createOrder(Shop.order(buyer, 10, 1));
    long before = paymentRows();
    shop.paymentLink.mode(Mode.HOLD_RESPONSES);

    var placing = shop.orderAsync.createOrder(Shop.order(buyer, 3100, 1));
    awaitPaymentRows(before + 1);
    shop.paymentLink.mode(Mode.PASS);
    shop.paymentLink.cutAll(); // after the commit, before the answer

    Order order = placing.get(20, TimeUnit.SECONDS);
    assertThat(order.getState()).as("the retried Charge returned the committed payment").isEqualTo(Order.State.CONFIRMED);
    assertThat(paymentsOf(order.getOrderId())).singleElement();
    assertThat(paymentRows()).isEqualTo(before + 1);
    System.out.println(SagaInvariants.checkSettled(shop.ordersDb, shop.paymentsDb, List.of(order.getOrderId()), shop.paymentClient));
  }

  @Test
  void aSlowUserServiceIsDeadlineExceededAndLeavesNoOrder() {
    shop(Map.of("USER_SVC_TIMEOUT", "300ms"));
    String buyer = shop.newUser();
    shop.userLink.delayRequests(Duration.ofSeconds(2));

    assertThatThrownBy(() -> shop.orderClient.createOrder(Shop.order(buyer, 100, 1)))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED))
        .hasMessageContaining("no order was created");
    assertThat(SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM orders")).isZero();
  }

  @Test
  void anUnreachableUserServiceIsUnavailableAndLeavesNoOrder() {
    shop(Map.of("USER_SVC_MAX_ATTEMPTS", "2"));
    String buyer = shop.newUser();
    shop.userLink.mode(Mode.REFUSE);

    assertThatThrownBy(() -> shop.orderClient.createOrder(Shop.order(buyer, 100, 1)))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM orders")).isZero();
  }

  @Test
  void aCancelRacingAPendingChargeLeavesNoCapturedPayment() throws Exception {
    shop(Map.of("RECONCILE_ENABLED", "false", "PAYMENT_SVC_MAX_ATTEMPTS", "2"));
    String buyer = shop.newUser();
    Random random = new Random(42);
    List<String> orderIds = new ArrayList<>();
    ExecutorService racers = Executors.newVirtualThreadPerTaskExecutor();
    for (int round = 0; round < 12; round++) {
      // A pending order: payment-svc was down when it was placed.
      shop.paymentLink.mode(Mode.REFUSE).delayRequests(Duration.ZERO);
      CreateOrderRequest request =
          Shop.order(buyer, 100 + round, 1).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
      Order pending = shop.orderClient.createOrder(request);
      assertThat(pending.getState()).isEqualTo(Order.State.PENDING_PAYMENT);
      orderIds.add(pending.getOrderId());

      // payment-svc is back but slow. A client retry or the reconciler charges the order while
      // the client cancels it, in either order.
      shop.paymentLink.mode(Mode.PASS).delayRequests(Duration.ofMillis(100));
      shop.orders().reconciler().wakePeers(); // reconnect now, not after gRPC's back-off
      Thread.sleep(200);
      boolean byReplay = round % 2 == 0;
      int chargeAfter = random.nextInt(200);
      int cancelAfter = random.nextInt(200);
      Future<?> charging =
          racers.submit(
              () -> {
                Thread.sleep(chargeAfter);
                return byReplay ? shop.orderClient.createOrder(request) : shop.orders().reconciler().pass();
              });
      Future<Order> cancelling =
          racers.submit(
              () -> {
                Thread.sleep(cancelAfter);
                return shop.orderClient.cancelOrder(
                    CancelOrderRequest.newBuilder().setOrderId(pending.getOrderId()).build());
              });
      assertThat(cancelling.get(30, TimeUnit.SECONDS).getState()).isEqualTo(Order.State.CANCELLED);
      charging.get(30, TimeUnit.SECONDS);
    }
    racers.shutdown();
    shop.paymentLink.delayRequests(Duration.ZERO);
    shop.reconcileUntilSettled(100);

    for (String id : orderIds) {
      assertThat(get(id).getState()).isEqualTo(Order.State.CANCELLED);
      assertThat(paymentsOf(id)).allSatisfy(p -> assertThat(p.getState()).isNotEqualTo(Payment.State.CAPTURED));
    }
    System.out.println(SagaInvariants.checkSettled(shop.ordersDb, shop.paymentsDb, orderIds, shop.paymentClient));
  }

  @Test
  void twoReplicasReconcilingOneBacklogSettleEachOrderOnce() throws Exception {
    shop(Map.of("RECONCILE_INTERVAL", "100ms", "PAYMENT_SVC_MAX_ATTEMPTS", "1"));
    String buyer = shop.newUser();
    shop.paymentLink.mode(Mode.REFUSE);
    List<CompletableFuture<Order>> placing = new ArrayList<>();
    try (ExecutorService clients = Executors.newFixedThreadPool(6)) {
      for (int i = 0; i < 30; i++) {
        int amount = i % 5 == 0 ? 150_000 : 100 + i; // some will be declined
        placing.add(CompletableFuture.supplyAsync(() -> shop.orderClient.createOrder(Shop.order(buyer, amount, 1)), clients));
      }
    }
    List<String> ids = placing.stream().map(CompletableFuture::join).map(Order::getOrderId).toList();
    assertThat(SagaInvariants.unsettled(shop.ordersDb)).isEqualTo(30);
    Main.Running second = shop.startOrderReplica();
    long fixedBefore = shop.orders().reconciler().fixed() + second.reconciler().fixed();

    shop.paymentLink.mode(Mode.PASS);
    // Generous: on a loaded 2-core CI box reconnecting and 30 sagas can take a while.
    for (int i = 0; i < 1200 && SagaInvariants.unsettled(shop.ordersDb) > 0; i++) {
      Thread.sleep(100);
    }
    assertThat(SagaInvariants.unsettled(shop.ordersDb)).as("backlog left after two minutes").isZero();

    long fixed = shop.orders().reconciler().fixed() + second.reconciler().fixed() - fixedBefore;
    assertThat(fixed).as("each order settled once, by one replica").isEqualTo(30);
    var counts = SagaInvariants.checkSettled(shop.ordersDb, shop.paymentsDb, ids, shop.paymentClient);
    assertThat(counts.confirmed()).isEqualTo(24);
    assertThat(counts.declined()).isEqualTo(6);
    System.out.println(counts + "; replica 1 settled " + shop.orders().reconciler().fixed() + ", replica 2 " + second.reconciler().fixed());
  }

  private void awaitPaymentRows(long n) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (paymentRows() >= n) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the charge never reached payment-svc's table");
  }
}
