package dev.shopmesh.order;

import dev.shopmesh.order.v1.CancelOrderRequest;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.GetOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.ListOrdersRequest;
import dev.shopmesh.order.v1.ListOrdersResponse;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.platform.Ids;
import dev.shopmesh.platform.auth.Caller;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.platform.paging.PageToken;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The gRPC face of order-svc: validates requests, runs the saga, maps results. */
final class OrderApi extends OrderServiceGrpc.OrderServiceImplBase {
  private final OrderSaga saga;
  private final OrderStore store;
  private final PageToken pageTokens;

  OrderApi(OrderSaga saga, OrderStore store, PageToken pageTokens) {
    this.saga = saga;
    this.store = store;
    this.pageTokens = pageTokens;
  }

  @Override
  public void createOrder(CreateOrderRequest request, StreamObserver<Order> response) {
    Caller caller = Caller.require();
    // The order is the caller's: an empty user_id means them; another user's is for admins only.
    Order asked = request.getOrder();
    if (asked.getUserId().isEmpty()) {
      asked = asked.toBuilder().setUserId(caller.userId().toString()).build();
    } else if (!caller.isAdmin() && !asked.getUserId().equalsIgnoreCase(caller.userId().toString())) {
      throw OrderSaga.ERRORS.permissionDenied(
          "ORDER_FOR_ANOTHER_USER", "you may place orders only for yourself (leave user_id empty, or give your own)", Map.of());
    }
    var violations = new FieldViolations();
    violations.check(request.hasOrder(), "order", "is required");
    NewOrder order = NewOrder.validate(asked, violations);
    Optional<UUID> requestId = Ids.requestId(request.getRequestId(), violations);
    violations.throwIfAny(OrderSaga.ERRORS);

    OrderRow placed = saga.place(order, requestId);
    response.onNext(placed.toProto(order.items()));
    response.onCompleted();
  }

  @Override
  public void getOrder(GetOrderRequest request, StreamObserver<Order> response) {
    var violations = new FieldViolations();
    Optional<UUID> id = Ids.parse(request.getOrderId(), violations, "order_id", "an order id");
    violations.throwIfAny(OrderSaga.ERRORS);

    Caller caller = Caller.require();
    OrderRow order =
        store.get(id.orElseThrow(), caller).orElseThrow(() -> OrderSaga.notVisible(request.getOrderId(), caller));
    response.onNext(order.toProto(store.items(order.orderId())));
    response.onCompleted();
  }

  @Override
  public void listOrders(ListOrdersRequest request, StreamObserver<ListOrdersResponse> response) {
    var violations = new FieldViolations();
    Optional<UUID> userId =
        request.getUserId().isEmpty()
            ? Optional.empty()
            : Ids.parse(request.getUserId(), violations, "user_id", "a user id");
    var paging =
        PageRequest.of(
            pageTokens,
            request.getPageSize(), request.getPageToken(), "orders|" + request.getUserId(), violations);
    violations.throwIfAny(OrderSaga.ERRORS);

    // Lines are loaded a chunk of orders at a time, as the page fills up to its byte limit.
    var page = paging.page(store.page(userId, paging, Caller.require()), OrderRow::orderId, this::withItems);
    response.onNext(
        ListOrdersResponse.newBuilder()
            .addAllOrders(page.items())
            .setNextPageToken(page.nextPageToken())
            .build());
    response.onCompleted();
  }

  private List<Order> withItems(List<OrderRow> rows) {
    Map<UUID, List<LineItem>> items = store.items(rows.stream().map(OrderRow::orderId).toList());
    return rows.stream().map(row -> row.toProto(items.getOrDefault(row.orderId(), List.of()))).toList();
  }

  @Override
  public void cancelOrder(CancelOrderRequest request, StreamObserver<Order> response) {
    var violations = new FieldViolations();
    Optional<UUID> id = Ids.parse(request.getOrderId(), violations, "order_id", "an order id");
    violations.throwIfAny(OrderSaga.ERRORS);

    OrderRow order = saga.cancel(id.orElseThrow(), Caller.require());
    response.onNext(order.toProto(store.items(order.orderId())));
    response.onCompleted();
  }
}
