package dev.shopmesh.payment;

import dev.shopmesh.payment.v1.ChargeRequest;
import dev.shopmesh.payment.v1.GetPaymentRequest;
import dev.shopmesh.payment.v1.ListPaymentsRequest;
import dev.shopmesh.payment.v1.ListPaymentsResponse;
import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.payment.v1.RefundRequest;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.Money;
import dev.shopmesh.platform.error.Errors;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.platform.paging.PageToken;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The gRPC face of payment-svc. Charge and Refund are internal: only order-svc calls them. */
final class PaymentApi extends PaymentServiceGrpc.PaymentServiceImplBase {
  static final Errors ERRORS = new Errors("payment.shopmesh.dev");

  private final PaymentStore store;
  private final PaymentPolicy policy;
  private final PageToken pageTokens;

  PaymentApi(PaymentStore store, PaymentPolicy policy, PageToken pageTokens) {
    this.store = store;
    this.policy = policy;
    this.pageTokens = pageTokens;
  }

  @Override
  public void charge(ChargeRequest request, StreamObserver<Payment> response) {
    var violations = new FieldViolations();
    Optional<UUID> orderId = Ids.parse(request.getOrderId(), violations, "order_id", "an order id");
    Optional<UUID> userId = Ids.parse(request.getUserId(), violations, "user_id", "a user id");
    violations.check(request.getAmountMinor() > 0, "amount_minor", "must be more than 0");
    violations.check(
        Money.isCurrency(request.getCurrencyCode()),
        "currency_code",
        "must be an ISO-4217 currency code such as EUR");
    violations.throwIfAny(ERRORS);

    var charge =
        new PaymentStore.ChargeRequest(
            orderId.orElseThrow(),
            userId.orElseThrow(),
            request.getAmountMinor(),
            request.getCurrencyCode());
    PaymentRow row = store.charge(charge, policy.declineReason(request.getAmountMinor()));
    if (!row.answers(charge)) {
      // One payment per order, ever: a second Charge must ask for the same thing to be told
      // about it, or it would read as if its own amount had been charged.
      throw ERRORS.failedPrecondition(
          "CHARGE_MISMATCH",
          "order " + request.getOrderId() + " was already charged with another amount, currency or user",
          Map.of(
              "order_id", request.getOrderId(),
              "payment_id", row.paymentId().toString(),
              "amount_minor", Long.toString(row.amountMinor()),
              "currency_code", row.currencyCode()));
    }
    response.onNext(row.toProto());
    response.onCompleted();
  }

  @Override
  public void refund(RefundRequest request, StreamObserver<Payment> response) {
    var violations = new FieldViolations();
    Optional<UUID> orderId = Ids.parse(request.getOrderId(), violations, "order_id", "an order id");
    violations.throwIfAny(ERRORS);

    response.onNext(store.refund(orderId.orElseThrow()).toProto());
    response.onCompleted();
  }

  @Override
  public void getPayment(GetPaymentRequest request, StreamObserver<Payment> response) {
    var violations = new FieldViolations();
    Optional<UUID> id = Ids.parse(request.getPaymentId(), violations, "payment_id", "a payment id");
    violations.throwIfAny(ERRORS);

    Caller caller = Caller.require();
    PaymentRow row =
        store
            .get(id.orElseThrow(), caller)
            .orElseThrow(
                () ->
                    ERRORS.notVisible("payment", request.getPaymentId(), caller.isAdmin()));
    response.onNext(row.toProto());
    response.onCompleted();
  }

  @Override
  public void listPayments(
      ListPaymentsRequest request, StreamObserver<ListPaymentsResponse> response) {
    var violations = new FieldViolations();
    Optional<UUID> orderId =
        request.getOrderId().isEmpty()
            ? Optional.empty()
            : Ids.parse(request.getOrderId(), violations, "order_id", "an order id");
    var paging =
        PageRequest.of(
            pageTokens,
            request.getPageSize(), request.getPageToken(), "payments|" + request.getOrderId(), violations);
    violations.throwIfAny(ERRORS);

    var page = paging.pageOf(store.page(orderId, paging, Caller.require()), PaymentRow::paymentId, PaymentRow::toProto);
    response.onNext(
        ListPaymentsResponse.newBuilder()
            .addAllPayments(page.items())
            .setNextPageToken(page.nextPageToken())
            .build());
    response.onCompleted();
  }
}
