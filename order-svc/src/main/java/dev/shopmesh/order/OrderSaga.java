package dev.shopmesh.order;

import dev.shopmesh.payment.v1.ChargeRequest;
import dev.shopmesh.payment.v1.Payment;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.payment.v1.RefundRequest;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.error.Errors;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.telemetry.Telemetry;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order saga (DESIGN.md): check the user, record the order as PENDING_PAYMENT, charge it,
 * and settle it as CONFIRMED or PAYMENT_DECLINED; and cancellation with its refund.
 *
 * <p>Every step is safe to repeat. The order row is committed before the charge, Charge and
 * Refund are idempotent per order at payment-svc, and each state change is conditional on the
 * state it leaves. So a client retry, the reconciler, or a second replica can finish whatever a
 * crash or a lost response left half done, and the loser of any race simply reloads.
 */
final class OrderSaga {
  static final Errors ERRORS = new Errors("order.shopmesh.dev");
  private static final Logger log = LoggerFactory.getLogger(OrderSaga.class);

  static final AttributeKey<String> ORDER_ID = AttributeKey.stringKey("order.id");
  static final AttributeKey<String> ORDER_STATE = AttributeKey.stringKey("order.state");

  private final OrderStore store;
  private final UserServiceGrpc.UserServiceBlockingStub users;
  private final PaymentServiceGrpc.PaymentServiceBlockingStub payments;
  private final Tracer tracer;
  private final LongCounter outcomes;
  private final LongCounter mismatches;

  /** Deadlines and retries of both peers come from their channels' service config. */
  OrderSaga(OrderStore store, Channel userChannel, Channel paymentChannel, Telemetry telemetry) {
    this.store = store;
    this.users = UserServiceGrpc.newBlockingStub(userChannel);
    this.payments = PaymentServiceGrpc.newBlockingStub(paymentChannel);
    this.tracer = telemetry.tracer("dev.shopmesh.order");
    this.outcomes =
        telemetry
            .meter("dev.shopmesh.order")
            .counterBuilder("shopmesh.orders.placed")
            .setDescription("CreateOrder calls that returned an order, by the state it was left in")
            .setUnit("{order}")
            .build();
    this.mismatches =
        telemetry
            .meter("dev.shopmesh.order")
            .counterBuilder("shopmesh.saga.payment_mismatches")
            .setDescription(
                "Charge answers whose payment did not match the order (order, user, amount or currency);"
                    + " the order stayed PENDING_PAYMENT. Any at all is worth an alert")
            .setUnit("{payment}")
            .build();
  }

  /** Places an order; returns it CONFIRMED, PAYMENT_DECLINED, or PENDING_PAYMENT. */
  OrderRow place(NewOrder order, Optional<UUID> requestId) {
    OrderRow placed = runSaga(order, requestId);
    // On the CreateOrder server span: which order this call was about, and where it ended.
    Span.current().setAttribute(ORDER_ID, placed.orderId().toString());
    Span.current().setAttribute(ORDER_STATE, placed.state());
    outcomes.add(1, Attributes.of(ORDER_STATE, placed.state()));
    return placed;
  }

  private OrderRow runSaga(NewOrder order, Optional<UUID> requestId) {
    if (requestId.isPresent()) {
      Optional<OrderRow> earlier = store.byRequestId(requestId.get());
      if (earlier.isPresent()) {
        return resume(earlier.get(), order);
      }
    }
    step("saga check user", null, () -> checkUserExists(order.userId()));
    UUID orderId = Ids.newId();
    OrderStore.Insert insert =
        step("saga record order", orderId, () -> store.insertPending(orderId, order, requestId));
    return insert.created() ? charge(store, insert.order()) : resume(insert.order(), order);
  }

  /** Runs one saga step in a span of its own, so a trace shows where an order's time went. */
  private <T> T step(String name, UUID orderId, Supplier<T> work) {
    Span span = tracer.spanBuilder(name).startSpan();
    if (orderId != null) {
      span.setAttribute(ORDER_ID, orderId.toString());
    }
    try (Scope scope = span.makeCurrent()) {
      return work.get();
    } catch (RuntimeException e) {
      span.setStatus(StatusCode.ERROR, e.getMessage());
      throw e;
    } finally {
      span.end();
    }
  }

  private void step(String name, UUID orderId, Runnable work) {
    step(
        name,
        orderId,
        () -> {
          work.run();
          return null;
        });
  }

  /** A replayed request_id: the same payload continues the order; another one is refused. */
  private OrderRow resume(OrderRow earlier, NewOrder order) {
    if (!Arrays.equals(earlier.requestHash(), order.fingerprint())) {
      throw ERRORS.invalidArgument(
          "REQUEST_ID_REUSED",
          new FieldViolations().add("request_id", "was already used for a different order"));
    }
    return earlier.state().equals(OrderRow.PENDING_PAYMENT) ? charge(store, earlier) : earlier;
  }

  private void checkUserExists(UUID userId) {
    try {
      users.getUser(GetUserRequest.newBuilder().setUserId(userId.toString()).build());
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      Map<String, String> meta = Map.of("user_id", userId.toString());
      throw switch (code) {
        // PERMISSION_DENIED: the caller's own token does not see the user (an id of their own
        // that no longer exists), which user-svc answers exactly like a missing one.
        case NOT_FOUND, PERMISSION_DENIED ->
            ERRORS.failedPrecondition("USER_NOT_FOUND", "user " + userId + " not found", meta);
        case DEADLINE_EXCEEDED ->
            ERRORS.deadlineExceeded(
                "USER_SERVICE_TIMEOUT",
                "user-svc did not answer in time; no order was created");
        case CANCELLED -> Status.CANCELLED.withDescription("cancelled by the client").asRuntimeException();
        default -> {
          log.warn("GetUser failed with {}: {}", code, e.getStatus().getDescription());
          yield ERRORS.unavailable(
              "USER_SERVICE_UNAVAILABLE", "user-svc is unavailable; no order was created");
        }
      };
    }
  }

  /**
   * Charges a PENDING_PAYMENT order and settles it. When payment-svc cannot be reached the
   * order stays PENDING_PAYMENT for the reconciler, and is returned as it is.
   */
  OrderRow charge(OrderStore tx, OrderRow order) {
    return step("saga charge", order.orderId(), () -> chargeAndSettle(tx, order));
  }

  private OrderRow chargeAndSettle(OrderStore tx, OrderRow order) {
    Payment payment;
    try {
      payment =
          payments.charge(
              ChargeRequest.newBuilder()
                  .setOrderId(order.orderId().toString())
                  .setUserId(order.userId().toString())
                  .setAmountMinor(order.totalMinor())
                  .setCurrencyCode(order.currencyCode())
                  .build());
    } catch (StatusRuntimeException e) {
      log.warn(
          "order {} stays PENDING_PAYMENT: Charge failed with {}",
          order.orderId(),
          e.getStatus().getCode());
      return order;
    }
    Optional<String> mismatch = mismatch(order, payment);
    if (mismatch.isPresent()) {
      // Never settle an order on a payment that is not its own: it stays PENDING_PAYMENT.
      log.error(
          "order {} stays PENDING_PAYMENT: payment-svc answered Charge with payment {} whose {}",
          order.orderId(),
          payment.getPaymentId(),
          mismatch.get());
      mismatches.add(1);
      OrderRow now = tx.get(order.orderId()).orElseThrow();
      if (!now.state().equals(OrderRow.PENDING_PAYMENT)) {
        return now; // cancelled or settled meanwhile: that stands
      }
      throw ERRORS.failedPrecondition(
          "PAYMENT_MISMATCH",
          "payment-svc answered with a payment that does not match order " + order.orderId()
              + "; the order stays PENDING_PAYMENT",
          Map.of("order_id", order.orderId().toString(), "payment_id", payment.getPaymentId()));
    }
    String state =
        payment.getState() == Payment.State.CAPTURED
            ? OrderRow.CONFIRMED
            : OrderRow.PAYMENT_DECLINED;
    UUID paymentId = UUID.fromString(payment.getPaymentId());
    return tx.settlePending(order.orderId(), state, paymentId, payment.getDeclineReason())
        // It left PENDING_PAYMENT meanwhile (cancelled, or settled by another caller).
        .or(() -> tx.get(order.orderId()))
        .orElseThrow();
  }

  /**
   * What in {@code payment} does not belong to {@code order}, if anything: its order, user,
   * amount or currency, or an id that is not one. payment-svc is trusted with money, not with
   * bookkeeping: a bug or a mix-up there must not confirm an order on someone else's payment.
   */
  static Optional<String> mismatch(OrderRow order, Payment payment) {
    if (!payment.getOrderId().equals(order.orderId().toString())) {
      return Optional.of("order_id is " + payment.getOrderId());
    }
    if (Ids.parse(payment.getPaymentId()).isEmpty()) {
      return Optional.of("payment_id is not a UUID");
    }
    if (payment.getState() == Payment.State.DECLINED && payment.getAmountMinor() == 0) {
      // payment-svc's record of an order cancelled before it was charged: it holds no money.
      return Optional.empty();
    }
    if (!payment.getUserId().equals(order.userId().toString())) {
      return Optional.of("user_id is " + payment.getUserId());
    }
    if (payment.getAmountMinor() != order.totalMinor()) {
      return Optional.of("amount_minor is " + payment.getAmountMinor() + ", not " + order.totalMinor());
    }
    if (!payment.getCurrencyCode().equals(order.currencyCode())) {
      return Optional.of("currency_code is " + payment.getCurrencyCode() + ", not " + order.currencyCode());
    }
    return Optional.empty();
  }

  /**
   * What a caller gets for an order they may not see: for a customer, PERMISSION_DENIED whether
   * it is someone else's or does not exist (AIP-211); for an admin, NOT_FOUND.
   */
  static io.grpc.StatusRuntimeException notVisible(String orderId, Caller caller) {
    return ERRORS.notVisible("order", orderId, caller.isAdmin());
  }

  /**
   * Cancels an order of the caller's, refunding its payment; a cancelled order comes back
   * unchanged. Someone else's order changes nothing and calls no Refund.
   */
  OrderRow cancel(UUID orderId, Caller caller) {
    Span.current().setAttribute(ORDER_ID, orderId.toString());
    while (true) {
      OrderRow order = store.get(orderId, caller).orElseThrow(() -> notVisible(orderId.toString(), caller));
      switch (order.state()) {
        case OrderRow.CANCELLED -> {
          return order;
        }
        case OrderRow.PAYMENT_DECLINED ->
            throw ERRORS.failedPrecondition(
                "ORDER_NOT_CANCELLABLE",
                "order " + orderId + " was declined; only pending or confirmed orders can be cancelled",
                Map.of("order_id", orderId.toString(), "state", order.state()));
        default -> {
          Optional<OrderRow> cancelled = store.cancel(orderId, caller);
          if (cancelled.isPresent()) {
            return refund(store, cancelled.get());
          }
          // Its state changed under us: look again.
        }
      }
    }
  }

  /**
   * Makes sure no money stays captured for a cancelled order. When payment-svc cannot be
   * reached the order keeps refund_pending for the reconciler.
   */
  OrderRow refund(OrderStore tx, OrderRow order) {
    Payment payment;
    try {
      payment = payments.refund(RefundRequest.newBuilder().setOrderId(order.orderId().toString()).build());
    } catch (StatusRuntimeException e) {
      log.warn(
          "order {} cancelled, refund pending: Refund failed with {}",
          order.orderId(),
          e.getStatus().getCode());
      return order;
    }
    if (!payment.getOrderId().equals(order.orderId().toString()) || Ids.parse(payment.getPaymentId()).isEmpty()) {
      log.error(
          "order {} keeps its refund pending: payment-svc answered Refund with payment {} of order {}",
          order.orderId(),
          payment.getPaymentId(),
          payment.getOrderId());
      mismatches.add(1);
      return order;
    }
    UUID refunded =
        payment.getState() == Payment.State.REFUNDED ? UUID.fromString(payment.getPaymentId()) : null;
    return tx.refundSettled(order.orderId(), refunded).or(() -> tx.get(order.orderId())).orElseThrow();
  }
}
