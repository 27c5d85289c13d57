package dev.shopmesh.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.order.v1.GetOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.payment.v1.ChargeRequest;
import dev.shopmesh.payment.v1.GetPaymentRequest;
import dev.shopmesh.payment.v1.ListPaymentsRequest;
import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.payment.v1.RefundRequest;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.tls.SpiffeIds;
import dev.shopmesh.platform.tls.TlsSettings;
import dev.shopmesh.testkit.FaultProxy.Mode;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestTls;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import java.nio.file.Files;
import java.nio.file.Path;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Charge and Refund answer order-svc only, proven by mutual TLS on payment-svc's internal port:
 * real TLS 1.3 over real sockets, certificates from a real CA, the services in their production
 * wiring. The two examples of a direct caller breaking the saga are here, and fail.
 */
class InternalCallersTest {
  private static Shop shop;
  private static String buyer;
  private static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() {
    shop = new Shop(Map.of("RECONCILE_ENABLED", "false", "PAYMENT_SVC_MAX_ATTEMPTS", "1"));
    buyer = shop.newUser();
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    shop.close();
  }

  private static int internalPort() {
    return shop.payments.internalPort().orElseThrow();
  }

  private static PaymentServiceGrpc.PaymentServiceBlockingStub stub(ManagedChannel channel) {
    channels.add(channel);
    return PaymentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** The internal port, with the certificate of {@code service} from the mesh CA. */
  private static PaymentServiceGrpc.PaymentServiceBlockingStub as(String service) {
    return stub(TestTls.asService(service, internalPort()));
  }

  /** payment-svc's plaintext port, as anyone on the network. */
  private static PaymentServiceGrpc.PaymentServiceBlockingStub plaintext() {
    return stub(ManagedChannelBuilder.forAddress("localhost", shop.payments.port()).usePlaintext().build());
  }

  private static ChargeRequest charge(String orderId, long amount) {
    return ChargeRequest.newBuilder().setOrderId(orderId).setUserId(buyer).setAmountMinor(amount).setCurrencyCode("EUR").build();
  }

  private static Order order(String id) {
    return shop.orderClient.getOrder(GetOrderRequest.newBuilder().setOrderId(id).build());
  }

  private static List<Payment> paymentsOf(String orderId) {
    return shop.paymentClient.listPayments(ListPaymentsRequest.newBuilder().setOrderId(orderId).build()).getPaymentsList();
  }

  private static Status.Code code(Throwable e) {
    assertThat(e).as("the call was refused").isInstanceOf(StatusRuntimeException.class);
    return Status.fromThrowable(e).getCode();
  }

  private static String reason(Throwable e) {
    var status = StatusProto.fromThrowable(e);
    assertThat(status).isNotNull();
    try {
      return status.getDetails(0).unpack(com.google.rpc.ErrorInfo.class).getReason();
    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
  }

  private static Order confirmedOrder() {
    Order order = shop.orderClient.createOrder(Shop.order(buyer, 2500, 2));
    assertThat(order.getState()).isEqualTo(Order.State.CONFIRMED);
    return order;
  }

  @Test
  void orderSvcsCertificateMayChargeAndRefund() {
    String orderId = UUID.randomUUID().toString();

    Payment captured = as("order-svc").charge(charge(orderId, 700));
    Payment refunded = as("order-svc").refund(RefundRequest.newBuilder().setOrderId(orderId).build());

    assertThat(captured.getState()).isEqualTo(Payment.State.CAPTURED);
    assertThat(refunded.getState()).isEqualTo(Payment.State.REFUNDED);
  }

  @Test
  void theSagaStillConfirmsAndRefundsOverMutualTls() {
    Order order = confirmedOrder();
    Order cancelled = shop.orderClient.cancelOrder(dev.shopmesh.order.v1.CancelOrderRequest.newBuilder().setOrderId(order.getOrderId()).build());

    assertThat(cancelled.getState()).isEqualTo(Order.State.CANCELLED);
    assertThat(paymentsOf(order.getOrderId())).singleElement()
        .satisfies(p -> assertThat(p.getState()).isEqualTo(Payment.State.REFUNDED));
  }

  // The issue's first example: "Refund of a CONFIRMED order leaves it CONFIRMED with a REFUNDED
  // payment". Every direct caller but order-svc is now refused, and nothing changes.
  @Test
  void refundOfAConfirmedOrderByADirectCallerIsRefusedAndChangesNothing() {
    Order order = confirmedOrder();
    RefundRequest refund = RefundRequest.newBuilder().setOrderId(order.getOrderId()).build();

    Throwable overPlaintext = catchThrowable(() -> plaintext().refund(refund));
    Throwable asUserSvc = catchThrowable(() -> as("user-svc").refund(refund));
    Throwable asTheEdge = catchThrowable(() -> as("edge-rest-adapter").refund(refund));

    assertThat(code(overPlaintext)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(reason(overPlaintext)).isEqualTo("PEER_CERTIFICATE_REQUIRED");
    assertThat(code(asUserSvc)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(reason(asUserSvc)).isEqualTo("PEER_NOT_ALLOWED");
    assertThat(asUserSvc).hasMessageContaining(SpiffeIds.of("user-svc"));
    assertThat(code(asTheEdge)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(order(order.getOrderId()).getState()).isEqualTo(Order.State.CONFIRMED);
    assertThat(paymentsOf(order.getOrderId())).singleElement()
        .satisfies(p -> assertThat(p.getState()).isEqualTo(Payment.State.CAPTURED));
  }

  // The issue's second example: "Charge of a pending order with amountMinor: 1 makes it
  // CONFIRMED for one cent". The direct charge is refused; order-svc later charges the full sum.
  @Test
  void chargeOfAPendingOrderForOneCentByADirectCallerIsRefused() {
    shop.paymentLink.mode(Mode.REFUSE);
    Order pending;
    try {
      pending = shop.orderClient.createOrder(Shop.order(buyer, 4200, 1));
    } finally {
      shop.paymentLink.mode(Mode.PASS);
    }
    assertThat(pending.getState()).isEqualTo(Order.State.PENDING_PAYMENT);
    ChargeRequest oneCent = charge(pending.getOrderId(), 1);

    Throwable overPlaintext = catchThrowable(() -> plaintext().charge(oneCent));
    Throwable asUserSvc = catchThrowable(() -> as("user-svc").charge(oneCent));
    Throwable asPaymentSvc = catchThrowable(() -> as("payment-svc").charge(oneCent));

    assertThat(code(overPlaintext)).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(asUserSvc)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(code(asPaymentSvc)).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(paymentsOf(pending.getOrderId())).isEmpty();

    shop.reconcileUntilSettled(100);

    Order settled = order(pending.getOrderId());
    assertThat(settled.getState()).isEqualTo(Order.State.CONFIRMED);
    assertThat(paymentsOf(pending.getOrderId())).singleElement()
        .satisfies(p -> assertThat(p.getAmountMinor()).isEqualTo(4200));
    SagaInvariants.check(shop.ordersDb, shop.paymentsDb, List.of(pending.getOrderId()), shop.paymentClient);
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedInTheHandshake() {
    String orderId = UUID.randomUUID().toString();
    TlsSettings forged = TestTls.fromAnotherCa("order-svc"); // names order-svc, wrong signer

    Throwable e = catchThrowable(() -> stub(TestTls.channel(internalPort(), forged, "payment-svc")).charge(charge(orderId, 5)));

    // The server ends the handshake; a client sees that as UNAVAILABLE, never as a status.
    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(paymentsOf(orderId)).isEmpty();
  }

  @Test
  void tlsWithoutAClientCertificateIsRefusedInTheHandshake() throws Exception {
    String orderId = UUID.randomUUID().toString();
    var trustOnly = TlsChannelCredentials.newBuilder().trustManager(TestTls.caFile().toFile()).build();

    Throwable e = catchThrowable(() -> stub(Grpc.newChannelBuilder("localhost:" + internalPort(), trustOnly).build()).charge(charge(orderId, 5)));

    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(paymentsOf(orderId)).isEmpty();
  }

  @Test
  void plaintextToTheInternalPortGetsNoAnswer() {
    String orderId = UUID.randomUUID().toString();

    Throwable e = catchThrowable(
        () -> stub(ManagedChannelBuilder.forAddress("localhost", internalPort()).usePlaintext().build()).charge(charge(orderId, 5)));

    assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(paymentsOf(orderId)).isEmpty();
  }

  @Test
  void theInternalPortServesOnlyTheInternalMethods() {
    Throwable e = catchThrowable(
        () -> as("order-svc").getPayment(GetPaymentRequest.newBuilder().setPaymentId(UUID.randomUUID().toString()).build()));

    assertThat(code(e)).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void healthAnswersOnBothPortsForProbes() {
    ManagedChannel plain = ManagedChannelBuilder.forAddress("localhost", shop.payments.port()).usePlaintext().build();
    ManagedChannel internal = TestTls.asService("order-svc", internalPort());
    channels.add(plain);
    channels.add(internal);
    var request = HealthCheckRequest.newBuilder().setService(PaymentServiceGrpc.SERVICE_NAME).build();

    assertThat(HealthGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS).check(request).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(HealthGrpc.newBlockingStub(internal).withDeadlineAfter(10, TimeUnit.SECONDS).check(request).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }

  @Test
  void orderSvcRefusesAPaymentSvcThatCannotProveItIsPaymentSvc() {
    // A server with a mesh certificate, but user-svc's: order-svc's channel expects payment-svc.
    Map<String, String> vars = new HashMap<>(TestTls.vars("user-svc"));
    vars.put("INTERNAL_PORT", "0");
    GrpcServer impostor = dev.shopmesh.payment.Main.start(TestEnv.service("impostor_payments", vars));
    try {
      String orderId = UUID.randomUUID().toString();
      ManagedChannel asOrderSvc = TestTls.channel(impostor.internalPort().orElseThrow(), TestTls.of("order-svc"), "payment-svc");

      Throwable e = catchThrowable(() -> stub(asOrderSvc).charge(charge(orderId, 5)));

      assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      impostor.stop();
    }
  }

  @Test
  void payment_svcWithoutItsCertificateDoesNotStart() {
    Map<String, String> vars = new HashMap<>(TestTls.vars("payment-svc"));
    vars.remove("TLS_KEY_FILE");

    Throwable e = catchThrowable(() -> dev.shopmesh.payment.Main.start(TestEnv.service("no_key_payments", vars)));

    assertThat(e).isInstanceOf(dev.shopmesh.platform.config.ConfigException.class).hasMessageContaining("TLS_KEY_FILE");
  }

  @Test
  void keysAreWrittenOwnerOnly() throws Exception {
    Path key = TestTls.of("order-svc").keyFile();

    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
    assertThat(Files.readString(key)).startsWith("-----BEGIN PRIVATE KEY-----");
  }

}
