package dev.shopmesh.order;

import dev.shopmesh.testkit.SagaInvariants;
import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.order.v1.CancelOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.ChildJvm;
import dev.shopmesh.testkit.TestTls;
import dev.shopmesh.testkit.FreePorts;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestUsers;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;

import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A few hundred orders from concurrent clients while payment-svc, in a JVM of its own, is
 * SIGKILLed and restarted at random; some orders are cancelled as soon as they are placed. Once
 * the chaos stops and the reconciler has caught up, every invariant must hold.
 */
class RandomizedFaultTest {
  private static final int ORDERS = 300;
  private static final int CLIENTS = 8;

  @Test
  void invariantsHoldAfterRandomPaymentServiceKills() throws Exception {
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    System.out.println("chaos seed " + seed + " (rerun with -Dchaos.seed=" + seed + ")");
    Random random = new Random(seed);

    GrpcServer users = dev.shopmesh.user.Main.start(TestEnv.service("users", Map.of()));
    int paymentPort = FreePorts.next();
    int internalPort = FreePorts.next(); // Charge and Refund, over mutual TLS
    Map<String, String> paymentTls = new java.util.HashMap<>(TestTls.vars("payment-svc"));
    paymentTls.put("PORT", Integer.toString(paymentPort));
    paymentTls.put("INTERNAL_PORT", Integer.toString(internalPort));
    Map<String, String> paymentVars = TestEnv.serviceVars("payments", paymentTls);
    DataSource paymentsDb = TestPostgres.dataSource(TestEnv.databaseName(paymentVars));
    ChildJvm payments = ChildJvm.start("dev.shopmesh.payment.Main", paymentVars);
    Map<String, String> orderVars = new java.util.HashMap<>(TestTls.vars("order-svc"));
    orderVars.putAll(
        Map.of(
            "USER_SVC_TARGET", "localhost:" + users.port(),
            "PAYMENT_SVC_TARGET", "localhost:" + internalPort,
            "PAYMENT_SVC_TIMEOUT", "1s",
            "RECONCILE_INTERVAL", "300ms",
            "RECONCILE_MIN_AGE", "1s",
            "RECONCILE_BACKOFF", "200ms",
            "RECONCILE_BACKOFF_MAX", "1s"));
    var orderEnv = TestEnv.service("orders", orderVars);
    DataSource ordersDb = TestPostgres.dataSource(TestEnv.databaseName(orderEnv));
    Main.Running orders = Main.wire(orderEnv);
    ManagedChannel toUsers = ManagedChannelBuilder.forAddress("localhost", users.port()).usePlaintext().build();
    ManagedChannel toOrders = ManagedChannelBuilder.forAddress("localhost", orders.server().port()).usePlaintext().build();
    ManagedChannel toPayments = ManagedChannelBuilder.forAddress("localhost", paymentPort).usePlaintext().build();
    try {
      // The buyer signs up and in for real, and orders with their own token.
      TestUsers.SignedIn chaosBuyer = TestUsers.signUp(toUsers, "Chaos", "chaos@example.com", TestIdentity.PASSWORD);
      String buyer = chaosBuyer.userId();
      var orderClient = TestIdentity.as(OrderServiceGrpc.newBlockingStub(toOrders), chaosBuyer.token());

      Set<String> received = ConcurrentHashMap.newKeySet();
      AtomicInteger placed = new AtomicInteger();
      AtomicInteger failed = new AtomicInteger();
      AtomicInteger cancels = new AtomicInteger();
      AtomicBoolean done = new AtomicBoolean();
      AtomicInteger kills = new AtomicInteger();

      Thread chaos =
          Thread.ofPlatform()
              .start(
                  () -> {
                    Random r = new Random(seed + 1);
                    try {
                      while (!done.get()) {
                        Thread.sleep(300 + r.nextInt(700));
                        if (done.get()) {
                          break;
                        }
                        payments.kill();
                        kills.incrementAndGet();
                        Thread.sleep(200 + r.nextInt(800));
                        payments.restart();
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  });

      try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
        for (int c = 0; c < CLIENTS; c++) {
          long clientSeed = random.nextLong();
          clients.submit(
              () -> {
                Random r = new Random(clientSeed);
                while (placed.incrementAndGet() <= ORDERS) {
                  Thread.sleep(r.nextInt(300)); // clients arrive over a few seconds of chaos
                  long price = r.nextInt(10) == 0 ? 120_000 : 100 + r.nextInt(5_000);
                  try {
                    Order order = orderClient.createOrder(Shop.order(buyer, price, 1 + r.nextInt(3)));
                    received.add(order.getOrderId());
                    if (r.nextInt(4) == 0 && order.getState() != Order.State.PAYMENT_DECLINED) {
                      orderClient.cancelOrder(CancelOrderRequest.newBuilder().setOrderId(order.getOrderId()).build());
                      cancels.incrementAndGet();
                    }
                  } catch (StatusRuntimeException e) {
                    failed.incrementAndGet(); // the client was told it failed; no id was given
                  }
                }
                return null;
              });
        }
      }
      done.set(true);
      chaos.join();
      if (!payments.isAlive()) {
        payments.restart();
      }

      for (int i = 0; i < 1200 && SagaInvariants.unsettled(ordersDb) > 0; i++) {
        Thread.sleep(100);
      }
      var counts =
          SagaInvariants.checkSettled(
              ordersDb, paymentsDb, received,
              TestIdentity.as(PaymentServiceGrpc.newBlockingStub(toPayments), TestIdentity.shared().adminToken()));
      System.out.printf(
          "chaos: %d payment-svc kills, %d orders placed, %d client calls failed, %d cancels; %s%n",
          kills.get(), received.size(), failed.get(), cancels.get(), counts);
      assertThat(kills.get()).as("payment-svc was killed during the run").isPositive();
      assertThat(received).hasSizeGreaterThan(ORDERS / 2);
      assertThat(counts.orders()).isEqualTo(received.size());
    } finally {
      toUsers.shutdownNow();
      toOrders.shutdownNow();
      toPayments.shutdownNow();
      orders.server().stop();
      payments.close();
      users.stop();
    }
  }

}
