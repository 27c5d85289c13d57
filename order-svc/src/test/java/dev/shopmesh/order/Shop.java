package dev.shopmesh.order;

import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.FaultProxy;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.testkit.TestTls;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The three services through their production wiring, on real sockets, each with its own
 * database, and a {@link FaultProxy} between order-svc and each of its peers. order-svc calls
 * payment-svc's internal port over mutual TLS with its own certificate, through the proxy.
 */
final class Shop implements AutoCloseable {
  final GrpcServer users;
  final GrpcServer payments;
  final FaultProxy userLink;
  final FaultProxy paymentLink;
  final DataSource ordersDb;
  final DataSource paymentsDb;
  final Env orderEnv;
  private final List<Main.Running> orderReplicas = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  final UserServiceGrpc.UserServiceBlockingStub userClient;
  /** payment-svc's plaintext port: GetPayment, ListPayments. */
  final PaymentServiceGrpc.PaymentServiceBlockingStub paymentClient;
  /** payment-svc's internal port, calling as order-svc (mutual TLS): Charge, Refund. */
  final PaymentServiceGrpc.PaymentServiceBlockingStub internalPaymentClient;
  final OrderServiceGrpc.OrderServiceBlockingStub orderClient;
  final OrderServiceGrpc.OrderServiceFutureStub orderAsync;

  /** {@code orderEnv} adds to (and wins over) the test defaults for order-svc. */
  Shop(Map<String, String> orderEnv) {
    this(Map.of(), orderEnv);
  }

  /** {@code everyService} goes to all three services, {@code orderEnv} to order-svc too. */
  Shop(Map<String, String> everyService, Map<String, String> orderEnv) {
    users = dev.shopmesh.user.Main.start(TestEnv.service("users", everyService));
    Map<String, String> paymentVars = new HashMap<>(TestTls.vars("payment-svc"));
    paymentVars.put("INTERNAL_PORT", "0");
    paymentVars.putAll(everyService);
    Env paymentEnv = TestEnv.service("payments", paymentVars);
    payments = dev.shopmesh.payment.Main.start(paymentEnv);
    paymentsDb = TestPostgres.dataSource(TestEnv.databaseName(paymentEnv));
    userLink = FaultProxy.to(users.port());
    paymentLink = FaultProxy.to(payments.internalPort().orElseThrow());

    Map<String, String> vars = new HashMap<>();
    vars.put("USER_SVC_TARGET", userLink.target());
    vars.put("PAYMENT_SVC_TARGET", paymentLink.target());
    vars.put("USER_SVC_TIMEOUT", "2s");
    vars.put("PAYMENT_SVC_TIMEOUT", "2s");
    vars.put("RECONCILE_INTERVAL", "200ms");
    vars.put("RECONCILE_MIN_AGE", "0s");
    vars.putAll(TestTls.vars("order-svc"));
    // Short back-offs: a test's payment-svc comes back within seconds, not minutes.
    vars.put("RECONCILE_BACKOFF", "100ms");
    vars.put("RECONCILE_BACKOFF_MAX", "500ms");
    vars.putAll(everyService);
    vars.putAll(orderEnv);
    this.orderEnv = TestEnv.service("orders", vars);
    ordersDb = TestPostgres.dataSource(TestEnv.databaseName(this.orderEnv));
    Main.Running first = startOrderReplica();

    // The test drives the shop as an admin, who may act for any user (ownership is AccessTest's).
    CallCredentials admin = TestIdentity.bearer(TestIdentity.shared().adminToken());
    userClient = UserServiceGrpc.newBlockingStub(channel(users.port())).withCallCredentials(admin);
    paymentClient = PaymentServiceGrpc.newBlockingStub(channel(payments.port())).withCallCredentials(admin);
    ManagedChannel asOrderSvc = TestTls.asService("order-svc", payments.internalPort().orElseThrow());
    channels.add(asOrderSvc);
    internalPaymentClient = PaymentServiceGrpc.newBlockingStub(asOrderSvc);
    ManagedChannel orderChannel = channel(first.server().port());
    orderClient = OrderServiceGrpc.newBlockingStub(orderChannel).withCallCredentials(admin);
    orderAsync = OrderServiceGrpc.newFutureStub(orderChannel).withCallCredentials(admin);
  }

  /** Another order-svc on the same database (a replica), with its own reconciler. */
  Main.Running startOrderReplica() {
    Main.Running replica = Main.wire(orderEnv);
    orderReplicas.add(replica);
    return replica;
  }

  Main.Running orders() {
    return orderReplicas.getFirst();
  }

  List<Main.Running> orderReplicas() {
    return List.copyOf(orderReplicas);
  }

  private ManagedChannel channel(int port) {
    ManagedChannel c = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    channels.add(c);
    return c;
  }

  String newUser() {
    return userClient
        .createUser(
            CreateUserRequest.newBuilder()
                .setUser(
                    User.newBuilder()
                        .setName("Buyer")
                        .setEmail("b" + UUID.randomUUID() + "@example.com")
                        .setPassword(TestIdentity.PASSWORD))
                .build())
        .getUserId();
  }

  static CreateOrderRequest order(String userId, long unitPrice, int quantity) {
    return CreateOrderRequest.newBuilder()
        .setOrder(
            Order.newBuilder()
                .setUserId(userId)
                .setCurrencyCode("EUR")
                .addItems(LineItem.newBuilder().setSku("sku-1").setQuantity(quantity).setUnitPriceMinor(unitPrice)))
        .build();
  }

  /** Runs reconciler passes until nothing is left to settle (or gives up after {@code passes}). */
  void reconcileUntilSettled(int passes) {
    for (int i = 0; i < passes; i++) {
      if (SagaInvariants.unsettled(ordersDb) == 0) {
        return;
      }
      orders().reconciler().pass();
      sleep(100);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    orderReplicas.forEach(r -> r.server().stop());
    userLink.close();
    paymentLink.close();
    users.stop();
    payments.stop();
  }
}
