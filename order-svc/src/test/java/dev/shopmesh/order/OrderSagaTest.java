package dev.shopmesh.order;

import dev.shopmesh.testkit.SagaInvariants;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.shopmesh.order.v1.CancelOrderRequest;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.GetOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.ListOrdersRequest;
import dev.shopmesh.order.v1.ListOrdersResponse;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.payment.v1.GetPaymentRequest;
import dev.shopmesh.payment.v1.ListPaymentsRequest;
import dev.shopmesh.payment.v1.Payment;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The order saga end to end: three services, three databases, real sockets. */
class OrderSagaTest {
  private static Shop shop;
  private static String buyer;

  @BeforeAll
  static void start() {
    shop = new Shop(Map.of());
    buyer = shop.newUser();
  }

  @AfterAll
  static void stop() {
    shop.close();
  }

  private static Order place(CreateOrderRequest request) {
    return shop.orderClient.createOrder(request);
  }

  private static long orderRows() {
    return SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM orders");
  }

  @Test
  void anOrderWithinTheLimitIsConfirmedWithOneCapturedPayment() {
    Order order =
        place(
            CreateOrderRequest.newBuilder()
                .setOrder(
                    Order.newBuilder()
                        .setUserId(buyer)
                        .setCurrencyCode("EUR")
                        .addItems(LineItem.newBuilder().setSku("book").setQuantity(2).setUnitPriceMinor(1250))
                        .addItems(LineItem.newBuilder().setSku("pen").setQuantity(1).setUnitPriceMinor(199)))
                .build());

    assertThat(order.getState()).isEqualTo(Order.State.CONFIRMED);
    assertThat(order.getTotalMinor()).isEqualTo(2 * 1250 + 199);
    assertThat(order.getItemsList()).extracting(LineItem::getSku).containsExactly("book", "pen");
    Payment payment =
        shop.paymentClient.getPayment(GetPaymentRequest.newBuilder().setPaymentId(order.getPaymentId()).build());
    assertThat(payment.getState()).isEqualTo(Payment.State.CAPTURED);
    assertThat(payment.getAmountMinor()).isEqualTo(order.getTotalMinor());
    assertThat(payment.getOrderId()).isEqualTo(order.getOrderId());
    assertThat(shop.orderClient.getOrder(GetOrderRequest.newBuilder().setOrderId(order.getOrderId()).build()))
        .isEqualTo(order);
  }

  @Test
  void anOrderAboveThePaymentLimitIsDeclined() {
    Order order = place(Shop.order(buyer, 100_001, 1));

    assertThat(order.getState()).isEqualTo(Order.State.PAYMENT_DECLINED);
    assertThat(order.getFailureReason()).contains("exceeds the payment limit");
    Payment payment =
        shop.paymentClient.getPayment(GetPaymentRequest.newBuilder().setPaymentId(order.getPaymentId()).build());
    assertThat(payment.getState()).isEqualTo(Payment.State.DECLINED);
    assertThat(payment.getDeclineReason()).isEqualTo(order.getFailureReason());
  }

  @Test
  void exactlyThePaymentLimitIsCaptured() {
    assertThat(place(Shop.order(buyer, 50_000, 2)).getState()).isEqualTo(Order.State.CONFIRMED);
  }

  @Test
  void anUnknownUserIsFailedPreconditionAndLeavesNoOrder() {
    long before = orderRows();
    String stranger = UUID.randomUUID().toString();

    assertThatThrownBy(() -> place(Shop.order(stranger, 100, 1)))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION))
        .satisfies(e -> assertThat(info(e).getReason()).isEqualTo("USER_NOT_FOUND"))
        .hasMessageContaining("user " + stranger + " not found");
    assertThat(orderRows()).isEqualTo(before);
  }

  static Stream<Arguments> invalidOrders() {
    String user = UUID.randomUUID().toString();
    LineItem ok = LineItem.newBuilder().setSku("a").setQuantity(1).setUnitPriceMinor(10).build();
    return Stream.of(
        Arguments.of("no order", CreateOrderRequest.getDefaultInstance(), "order"),
        Arguments.of("no items", req(Order.newBuilder().setUserId(user).setCurrencyCode("EUR")), "order.items"),
        Arguments.of("quantity 0", req(base(user).addItems(ok.toBuilder().setQuantity(0))), "order.items[0].quantity"),
        Arguments.of("negative price", req(base(user).addItems(ok.toBuilder().setUnitPriceMinor(-1))), "order.items[0].unit_price_minor"),
        Arguments.of("blank sku", req(base(user).addItems(ok).addItems(ok.toBuilder().setSku(" "))), "order.items[1].sku"),
        Arguments.of("65-char sku", req(base(user).addItems(ok.toBuilder().setSku("s".repeat(65)))), "order.items[0].sku"),
        Arguments.of(
            "total overflows",
            req(base(user).addItems(ok.toBuilder().setQuantity(2).setUnitPriceMinor(Long.MAX_VALUE / 2 + 1))),
            "order.items"),
        Arguments.of("total of 0", req(base(user).addItems(ok.toBuilder().setUnitPriceMinor(0))), "order.items"),
        Arguments.of("unknown currency", req(base(user).setCurrencyCode("ABC").addItems(ok)), "order.currency_code"),
        Arguments.of("lower-case currency", req(base(user).setCurrencyCode("eur").addItems(ok)), "order.currency_code"),
        Arguments.of("user id not a UUID", req(base("42").addItems(ok)), "order.user_id"),
        Arguments.of(
            "request_id not a UUID",
            req(base(user).addItems(ok)).toBuilder().setRequestId("r-1").build(),
            "request_id"),
        Arguments.of(
            "101 items",
            req(base(user).addAllItems(java.util.Collections.nCopies(101, ok))),
            "order.items"));
  }

  private static Order.Builder base(String user) {
    return Order.newBuilder().setUserId(user).setCurrencyCode("EUR");
  }

  private static CreateOrderRequest req(Order.Builder order) {
    return CreateOrderRequest.newBuilder().setOrder(order).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidOrders")
  void everyValidationRuleIsInvalidArgumentNamingTheField(String why, CreateOrderRequest request, String field) {
    long before = orderRows();

    assertThatThrownBy(() -> place(request))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(fields(e)).contains(field));
    assertThat(orderRows()).as("nothing half-written").isEqualTo(before);
  }

  @Test
  void replayingARequestIdReturnsTheSameOrderAndOnePayment() {
    var request = Shop.order(buyer, 700, 1).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    Order first = place(request);
    Order again = place(request);

    assertThat(again).isEqualTo(first);
    assertThat(paymentsOf(first.getOrderId())).hasSize(1);
  }

  @Test
  void reusingARequestIdForAnotherOrderIsInvalidArgument() {
    String requestId = UUID.randomUUID().toString();
    place(Shop.order(buyer, 700, 1).toBuilder().setRequestId(requestId).build());

    assertThatThrownBy(() -> place(Shop.order(buyer, 701, 1).toBuilder().setRequestId(requestId).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(info(e).getReason()).isEqualTo("REQUEST_ID_REUSED"));
  }

  @Test
  void twentyConcurrentReplaysGiveOneOrderAndOnePayment() throws Exception {
    var request = Shop.order(buyer, 333, 3).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(20);
    Set<String> ids = new HashSet<>();
    Set<Order.State> states = new HashSet<>();
    try {
      List<Future<Order>> calls = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        calls.add(
            pool.submit(
                () -> {
                  go.await();
                  return place(request);
                }));
      }
      go.countDown();
      for (Future<Order> call : calls) {
        ids.add(call.get().getOrderId());
        states.add(call.get().getState());
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(ids).hasSize(1);
    String orderId = ids.iterator().next();
    assertThat(SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM orders WHERE request_id = '" + request.getRequestId() + "'"))
        .isEqualTo(1);
    assertThat(paymentsOf(orderId)).singleElement().satisfies(p -> assertThat(p.getState()).isEqualTo(Payment.State.CAPTURED));
    assertThat(shop.orderClient.getOrder(GetOrderRequest.newBuilder().setOrderId(orderId).build()).getState())
        .isEqualTo(Order.State.CONFIRMED);
  }

  @Test
  void cancellingAConfirmedOrderRefundsItsPayment() {
    Order order = place(Shop.order(buyer, 4200, 1));

    Order cancelled = cancel(order.getOrderId());

    assertThat(cancelled.getState()).isEqualTo(Order.State.CANCELLED);
    assertThat(cancelled.getPaymentId()).isEqualTo(order.getPaymentId());
    assertThat(paymentsOf(order.getOrderId()))
        .singleElement()
        .satisfies(p -> assertThat(p.getState()).isEqualTo(Payment.State.REFUNDED));
  }

  @Test
  void cancellingACancelledOrderReturnsItUnchanged() {
    Order order = place(Shop.order(buyer, 900, 1));
    Order once = cancel(order.getOrderId());
    Order twice = cancel(order.getOrderId());

    assertThat(twice).isEqualTo(once);
    assertThat(paymentsOf(order.getOrderId())).hasSize(1);
  }

  @Test
  void cancellingADeclinedOrderIsFailedPrecondition() {
    Order declined = place(Shop.order(buyer, 200_000, 1));

    assertThatThrownBy(() -> cancel(declined.getOrderId()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION))
        .satisfies(e -> assertThat(info(e).getReason()).isEqualTo("ORDER_NOT_CANCELLABLE"));
  }

  @Test
  void unknownOrdersAreNotFoundAndMalformedIdsInvalid() {
    String unknown = UUID.randomUUID().toString();
    assertThatThrownBy(() -> shop.orderClient.getOrder(GetOrderRequest.newBuilder().setOrderId(unknown).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> cancel(unknown)).satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    assertThatThrownBy(() -> cancel("nope")).satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void ordersOfOneUserAreListedPageByPage() {
    String user = shop.newUser();
    List<String> placed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      placed.add(place(Shop.order(user, 100 + i, 1)).getOrderId());
    }
    place(Shop.order(buyer, 100, 1)); // someone else's

    List<String> seen = new ArrayList<>();
    String token = "";
    do {
      ListOrdersResponse page =
          shop.orderClient.listOrders(
              ListOrdersRequest.newBuilder().setUserId(user).setPageSize(2).setPageToken(token).build());
      page.getOrdersList().forEach(o -> {
        assertThat(o.getItemsCount()).isEqualTo(1);
        seen.add(o.getOrderId());
      });
      token = page.getNextPageToken();
    } while (!token.isEmpty());

    assertThat(seen).containsExactlyElementsOf(placed);
  }

  @Test
  void aPageTokenOfAnotherUserIsRejected() {
    String user = shop.newUser();
    place(Shop.order(user, 100, 1));
    place(Shop.order(user, 100, 1));
    String token =
        shop.orderClient
            .listOrders(ListOrdersRequest.newBuilder().setUserId(user).setPageSize(1).build())
            .getNextPageToken();

    assertThatThrownBy(
            () ->
                shop.orderClient.listOrders(
                    ListOrdersRequest.newBuilder().setUserId(buyer).setPageToken(token).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void paymentsAreListedByOrder() {
    Order order = place(Shop.order(buyer, 555, 1));
    assertThat(paymentsOf(order.getOrderId()))
        .singleElement()
        .satisfies(p -> assertThat(p.getPaymentId()).isEqualTo(order.getPaymentId()));
  }

  @Test
  void chargeIsIdempotentPerOrderRefusesAnotherAmountAndValidatesItsInput() {
    String orderId = UUID.randomUUID().toString();
    var charge =
        dev.shopmesh.payment.v1.ChargeRequest.newBuilder()
            .setOrderId(orderId)
            .setUserId(buyer)
            .setAmountMinor(100)
            .setCurrencyCode("EUR")
            .build();
    Payment first = shop.internalPaymentClient.charge(charge);
    Payment again = shop.internalPaymentClient.charge(charge);

    assertThat(again).isEqualTo(first);
    assertThatThrownBy(() -> shop.internalPaymentClient.charge(charge.toBuilder().setAmountMinor(999).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.FAILED_PRECONDITION));
    assertThatThrownBy(() -> shop.internalPaymentClient.charge(charge.toBuilder().setAmountMinor(0).setCurrencyCode("XX").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(fields(e)).containsExactly("amount_minor", "currency_code"));
  }

  static Order cancel(String orderId) {
    return shop.orderClient.cancelOrder(CancelOrderRequest.newBuilder().setOrderId(orderId).build());
  }

  static List<Payment> paymentsOf(String orderId) {
    return shop.paymentClient.listPayments(ListPaymentsRequest.newBuilder().setOrderId(orderId).build()).getPaymentsList();
  }

  static Status.Code code(Throwable e) {
    return ((StatusRuntimeException) e).getStatus().getCode();
  }

  static ErrorInfo info(Throwable e) {
    return StatusProto.fromThrowable(e).getDetailsList().stream()
        .filter(a -> a.is(ErrorInfo.class))
        .map(a -> unpack(a, ErrorInfo.class))
        .findFirst()
        .orElseThrow();
  }

  static List<String> fields(Throwable e) {
    return StatusProto.fromThrowable(e).getDetailsList().stream()
        .filter(a -> a.is(BadRequest.class))
        .flatMap(a -> unpack(a, BadRequest.class).getFieldViolationsList().stream())
        .map(BadRequest.FieldViolation::getField)
        .toList();
  }

  private static <T extends com.google.protobuf.Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
