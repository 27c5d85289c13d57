package dev.shopmesh.order;

import static dev.shopmesh.testkit.Statuses.code;
import static dev.shopmesh.testkit.Statuses.info;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.order.v1.GetOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.payment.v1.ChargeRequest;
import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.ServerSettings;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestUsers;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * order-svc does not take payment-svc's word for it: a Charge answered with a payment of another
 * order, user, amount or currency (a bug or a mix-up behind the internal port) never confirms
 * the order. It stays PENDING_PAYMENT, CreateOrder is FAILED_PRECONDITION, and the reconciler
 * does not confirm it either.
 */
class UntrustedPaymentTest {

  private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
    Map<String, String> all = new java.util.HashMap<>(a);
    all.putAll(b);
    return all;
  }

  /** A payment-svc that answers every Charge with the right payment, changed by {@code lie}. */
  private static GrpcServer lyingPayments(UnaryOperator<Payment.Builder> lie) {
    var service =
        new PaymentServiceGrpc.PaymentServiceImplBase() {
          @Override
          public void charge(ChargeRequest request, StreamObserver<Payment> response) {
            Payment.Builder honest =
                Payment.newBuilder()
                    .setPaymentId(Ids.newId().toString())
                    .setOrderId(request.getOrderId())
                    .setUserId(request.getUserId())
                    .setAmountMinor(request.getAmountMinor())
                    .setCurrencyCode(request.getCurrencyCode())
                    .setState(Payment.State.CAPTURED);
            response.onNext(lie.apply(honest).build());
            response.onCompleted();
          }
        };
    var settings = ServerSettings.from(Env.of(Map.of("PORT", "0")), 0);
    // It holds payment-svc's mesh certificate: a liar the mutual TLS cannot tell apart.
    return GrpcServer.start(
        "lying-payment-svc", GrpcServer.nettyMutualTls(settings, 0, dev.shopmesh.testkit.TestTls.of("payment-svc")), settings, Telemetry.noop(),
        dev.shopmesh.platform.auth.TokenVerifier.local(TestIdentity.shared().jwks(), TestIdentity.ISSUER),
        List.of(service), List.of());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"another order", "another user", "another amount", "another currency"})
  void aPaymentThatIsNotTheOrdersOwnNeverConfirmsIt(String lie) {
    UnaryOperator<Payment.Builder> change =
        switch (lie) {
          case "another order" -> p -> p.setOrderId(Ids.newId().toString());
          case "another user" -> p -> p.setUserId(Ids.newId().toString());
          case "another amount" -> p -> p.setAmountMinor(p.getAmountMinor() - 1);
          default -> p -> p.setCurrencyCode("USD");
        };
    GrpcServer users = dev.shopmesh.user.Main.start(TestEnv.service("users", Map.of()));
    GrpcServer payments = lyingPayments(change);
    Env orderEnv =
        TestEnv.service(
            "orders",
            with(
                dev.shopmesh.testkit.TestTls.vars("order-svc"),
                Map.of(
                    "USER_SVC_TARGET", "localhost:" + users.port(),
                    "PAYMENT_SVC_TARGET", "localhost:" + payments.port(),
                    "RECONCILE_ENABLED", "false",
                    "RECONCILE_MIN_AGE", "0s")));
    DataSource ordersDb = TestPostgres.dataSource(TestEnv.databaseName(orderEnv));
    Main.Running orders = Main.wire(orderEnv);
    ManagedChannel toUsers = ManagedChannelBuilder.forAddress("localhost", users.port()).usePlaintext().build();
    ManagedChannel toOrders =
        ManagedChannelBuilder.forAddress("localhost", orders.server().port()).usePlaintext().build();
    try {
      TestUsers.SignedIn payer = TestUsers.signUp(toUsers, "Payer", "payer@example.com", TestIdentity.PASSWORD);
      String buyer = payer.userId();
      var client = TestIdentity.as(OrderServiceGrpc.newBlockingStub(toOrders), payer.token());

      Throwable e = catchThrowable(() -> client.createOrder(Shop.order(buyer, 2500, 2)));

      assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(info(e).orElseThrow().getReason()).isEqualTo("PAYMENT_MISMATCH");
      String orderId = info(e).orElseThrow().getMetadataOrThrow("order_id");
      assertThat(client.getOrder(GetOrderRequest.newBuilder().setOrderId(orderId).build()).getState())
          .isEqualTo(Order.State.PENDING_PAYMENT);

      orders.reconciler().pass();
      assertThat(SagaInvariants.count(ordersDb, "SELECT count(*) FROM orders WHERE state = 'CONFIRMED'")).isZero();
      assertThat(SagaInvariants.count(ordersDb, "SELECT count(*) FROM orders WHERE state = 'PENDING_PAYMENT' AND attempts = 1"))
          .as("the reconciler's attempt counted as failed")
          .isEqualTo(1);
    } finally {
      toUsers.shutdownNow();
      toOrders.shutdownNow();
      orders.server().stop();
      payments.stop();
      users.stop();
    }
  }
}
