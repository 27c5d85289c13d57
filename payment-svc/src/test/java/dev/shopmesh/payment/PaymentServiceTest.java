package dev.shopmesh.payment;

import static dev.shopmesh.testkit.Statuses.code;
import static dev.shopmesh.testkit.Statuses.fields;
import static dev.shopmesh.testkit.Statuses.info;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.payment.v1.ChargeRequest;
import dev.shopmesh.payment.v1.GetPaymentRequest;
import dev.shopmesh.payment.v1.ListPaymentsRequest;
import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.payment.v1.RefundRequest;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.RawGrpc;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestTls;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * payment-svc's own specification, through its production wiring on a real socket: one payment
 * per order, ever; a repeated Charge is answered only when it asks for the same thing; Refund
 * leaves no money captured, even before a Charge.
 */
class PaymentServiceTest {
  private static GrpcServer server;
  private static ManagedChannel channel;
  private static PaymentServiceGrpc.PaymentServiceBlockingStub payments;
  private static ManagedChannel internalChannel;
  private static PaymentServiceGrpc.PaymentServiceBlockingStub internal;
  private static DataSource db;

  @BeforeAll
  static void start() {
    Map<String, String> vars = new java.util.HashMap<>(TestTls.vars("payment-svc"));
    vars.put("INTERNAL_PORT", "0");
    Env env = TestEnv.service("payments", vars);
    server = Main.start(env);
    db = TestPostgres.dataSource(TestEnv.databaseName(env));
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
    // As an admin, who reads every payment.
    payments = TestIdentity.as(PaymentServiceGrpc.newBlockingStub(channel), TestIdentity.shared().adminToken());
    // Charge and Refund are INTERNAL: the internal port, as order-svc (mutual TLS), no token.
    internalChannel = TestTls.asService("order-svc", server.internalPort().orElseThrow());
    internal = PaymentServiceGrpc.newBlockingStub(internalChannel);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    if (internalChannel != null) {
      internalChannel.shutdownNow();
    }
    server.stop();
  }

  private static ChargeRequest charge(String orderId, String userId, long amount, String currency) {
    return ChargeRequest.newBuilder()
        .setOrderId(orderId)
        .setUserId(userId)
        .setAmountMinor(amount)
        .setCurrencyCode(currency)
        .build();
  }

  private static long paymentsOf(String orderId) {
    return SagaInvariants.count(db, "SELECT count(*) FROM payments WHERE order_id = '" + orderId + "'");
  }

  @Test
  void aChargeWithinTheLimitIsCapturedAndARepeatReturnsTheSamePayment() {
    String order = Ids.newId().toString();
    String user = Ids.newId().toString();

    Payment first = internal.charge(charge(order, user, 2500, "EUR"));
    Payment again = internal.charge(charge(order, user, 2500, "EUR"));

    assertThat(first.getState()).isEqualTo(Payment.State.CAPTURED);
    assertThat(again).isEqualTo(first);
    assertThat(paymentsOf(order)).isEqualTo(1);
  }

  @Test
  void aChargeAboveTheLimitIsDeclinedWithItsReason() {
    Payment declined = internal.charge(charge(Ids.newId().toString(), Ids.newId().toString(), 150_000, "EUR"));

    assertThat(declined.getState()).isEqualTo(Payment.State.DECLINED);
    assertThat(declined.getDeclineReason()).contains("exceeds the payment limit of 100000");
  }

  @Test
  void aSecondChargeOfTheOrderAskingForSomethingElseIsFailedPrecondition() {
    String order = Ids.newId().toString();
    String user = Ids.newId().toString();
    Payment first = internal.charge(charge(order, user, 2500, "EUR"));

    for (ChargeRequest other :
        new ChargeRequest[] {
          charge(order, user, 2501, "EUR"), charge(order, user, 2500, "USD"), charge(order, Ids.newId().toString(), 2500, "EUR")
        }) {
      Throwable e = catchThrowable(() -> internal.charge(other));
      assertThat(code(e)).as(other.toString()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(info(e).orElseThrow().getReason()).isEqualTo("CHARGE_MISMATCH");
      assertThat(info(e).orElseThrow().getMetadataMap())
          .containsEntry("payment_id", first.getPaymentId())
          .containsEntry("amount_minor", "2500");
    }
    assertThat(payments.getPayment(GetPaymentRequest.newBuilder().setPaymentId(first.getPaymentId()).build()))
        .isEqualTo(first);
    assertThat(paymentsOf(order)).isEqualTo(1);
  }

  @Test
  void aRefundBeforeAnyChargeLeavesARecordThatALateChargeCannotCapture() {
    String order = Ids.newId().toString();

    Payment refunded = internal.refund(RefundRequest.newBuilder().setOrderId(order).build());
    Payment late = internal.charge(charge(order, Ids.newId().toString(), 2500, "EUR"));

    assertThat(refunded.getState()).isEqualTo(Payment.State.DECLINED);
    assertThat(refunded.getAmountMinor()).isZero();
    assertThat(late).isEqualTo(refunded);
  }

  @Test
  void aRefundOfACapturedPaymentRefundsItOnce() {
    String order = Ids.newId().toString();
    Payment captured = internal.charge(charge(order, Ids.newId().toString(), 900, "EUR"));

    Payment refunded = internal.refund(RefundRequest.newBuilder().setOrderId(order).build());
    Payment again = internal.refund(RefundRequest.newBuilder().setOrderId(order).build());

    assertThat(refunded.getPaymentId()).isEqualTo(captured.getPaymentId());
    assertThat(refunded.getState()).isEqualTo(Payment.State.REFUNDED);
    assertThat(again.getState()).isEqualTo(Payment.State.REFUNDED);
  }

  @Test
  void aChargeWithBadFieldsNamesEveryOne() {
    Throwable e = catchThrowable(() -> internal.charge(charge("x", "", 0, "eur")));

    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(fields(e)).containsExactly("order_id", "user_id", "amount_minor", "currency_code");
  }

  @Test
  void malformedBytesAreInvalidArgument() {
    // ChargeRequest.order_id (1) = one byte 0xff: not UTF-8.
    // As order-svc: anyone else is refused before the message is read (permission first).
    Status status = RawGrpc.call(internalChannel, PaymentServiceGrpc.getChargeMethod().getFullMethodName(), "0a01ff");

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("shopmesh.payment.v1.ChargeRequest").contains("UTF-8");
  }

  @Test
  void listingByOrderFindsItsOnePayment() {
    String order = Ids.newId().toString();
    Payment p = internal.charge(charge(order, Ids.newId().toString(), 100, "EUR"));

    assertThat(payments.listPayments(ListPaymentsRequest.newBuilder().setOrderId(order).build()).getPaymentsList())
        .containsExactly(p);
  }
}
