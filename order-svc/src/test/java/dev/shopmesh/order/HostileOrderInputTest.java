package dev.shopmesh.order;

import static dev.shopmesh.testkit.Statuses.badRequest;
import static dev.shopmesh.testkit.Statuses.code;
import static dev.shopmesh.testkit.Statuses.description;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.ListOrdersRequest;
import dev.shopmesh.order.v1.ListOrdersResponse;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.platform.error.FieldViolations;
import dev.shopmesh.platform.paging.PageRequest;
import dev.shopmesh.testkit.RawGrpc;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a hostile or careless client can send order-svc, through a Java client with grpc-java's
 * default limits (4 MiB messages, 8 KiB of metadata), as a user's client would be: each is a
 * clear INVALID_ARGUMENT or a bounded answer, nothing is written, and order-svc stays SERVING.
 * order-svc here accepts 1 MiB requests, as it did by default before its limit was sized to its
 * requests, so that its validation (not only the transport) is what is shown to hold.
 */
class HostileOrderInputTest {
  private static Shop shop;
  private static ManagedChannel channel;
  private static OrderServiceGrpc.OrderServiceBlockingStub orders;
  private static String buyer;

  @BeforeAll
  static void start() {
    shop = new Shop(Map.of("GRPC_MAX_INBOUND_MESSAGE_BYTES", Integer.toString(1 << 20)));
    // As an admin, who may order for the shop's test buyer; the access rules are AccessControlTest's.
    channel =
        ManagedChannelBuilder.forAddress("localhost", shop.orders().server().port())
            .usePlaintext()
            .intercept(TestIdentity.bearerInterceptor(TestIdentity.shared().adminToken()))
            .build();
    orders = OrderServiceGrpc.newBlockingStub(channel);
    buyer = shop.newUser();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    shop.close();
  }

  private static CreateOrderRequest withItems(int count, LineItem item) {
    Order.Builder order = Order.newBuilder().setUserId(buyer).setCurrencyCode("EUR");
    for (int i = 0; i < count; i++) {
      order.addItems(item);
    }
    return CreateOrderRequest.newBuilder().setOrder(order).build();
  }

  @Test
  void anOrderOf300000EmptyItemsIsOneViolationAndWritesNothing() {
    CreateOrderRequest huge = withItems(300_000, LineItem.getDefaultInstance());
    assertThat(huge.getSerializedSize()).isBetween(500_000, 1 << 20);

    Throwable e = catchThrowable(() -> orders.createOrder(huge));

    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(description(e)).isEqualTo("invalid order.items: must hold at most 100 items, got 300000");
    assertThat(badRequest(e).orElseThrow().getFieldViolationsCount()).isEqualTo(1);
    assertThat(SagaInvariants.count(shop.ordersDb, "SELECT count(*) FROM orders WHERE user_id = '" + buyer + "'"))
        .isZero();
    assertServing();
  }

  @Test
  void oneItemMoreThanTheLimitIsInvalidArgument() {
    Throwable e =
        catchThrowable(
            () -> orders.createOrder(withItems(101, LineItem.newBuilder().setSku("a").setQuantity(1).setUnitPriceMinor(1).build())));

    assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(description(e)).contains("at most 100 items");
  }

  @Test
  void aHundredBadItemsReachAJavaClientAsInvalidArgumentWithABoundedList() {
    // Every line breaks three rules: 300 violations, which listed in full made a trailer past
    // grpc-java's 8 KiB metadata limit, so the client saw INTERNAL.
    LineItem bad = LineItem.newBuilder().setSku("").setQuantity(0).setUnitPriceMinor(-1).build();

    Throwable e = catchThrowable(() -> orders.createOrder(withItems(100, bad)));

    assertThat(code(e)).as(String.valueOf(e)).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(badRequest(e).orElseThrow().getFieldViolationsList())
        .hasSize(FieldViolations.MAX_LISTED)
        .first()
        .satisfies(v -> assertThat(v.getField()).isEqualTo("order.items[0].sku"));
    assertThat(description(e))
        .startsWith("invalid order.items[0].sku: is required; invalid order.items[0].quantity")
        .endsWith("; and 298 more (20 listed in the details)");
    assertServing();
  }

  @Test
  void theRawBytesOfACreateOrderWithInvalidUtf8AreInvalidArgument() {
    // CreateOrderRequest.order (1) { Order.user_id (2) = 0xff }
    Status status = RawGrpc.call(channel, OrderServiceGrpc.getCreateOrderMethod().getFullMethodName(), "0a031201ff");

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("shopmesh.order.v1.CreateOrderRequest").contains("UTF-8");
    assertServing();
  }

  @Test
  void theLargestPageOfTheLargestOrdersFitsAJavaClientAndMissesNoOrder() {
    // 1000 orders of 100 lines whose skus are 64 three-byte characters: about 20 MB as one page.
    UUID user = UUID.randomUUID();
    TestPostgres.execute(
        shop.ordersDb,
        """
        INSERT INTO orders (order_id, user_id, currency_code, total_minor, state, request_hash)
        SELECT gen_random_uuid(), '%s', 'EUR', 100, 'CONFIRMED', '\\x00'::bytea
        FROM generate_series(1, 1000);
        INSERT INTO order_items (order_id, line, sku, quantity, unit_price_minor)
        SELECT o.order_id, n, repeat('€', 64), 2147483647, 9223372036854775807
        FROM orders o, generate_series(0, 99) n WHERE o.user_id = '%s';
        """
            .formatted(user, user));

    Set<String> seen = new HashSet<>();
    int pages = 0;
    String token = "";
    do {
      ListOrdersResponse page =
          orders.listOrders(
              ListOrdersRequest.newBuilder()
                  .setUserId(user.toString())
                  .setPageSize(1000)
                  .setPageToken(token)
                  .build());
      assertThat(page.getSerializedSize()).isLessThanOrEqualTo(PageRequest.MAX_PAGE_BYTES + 64);
      assertThat(page.getOrdersList()).isNotEmpty().allSatisfy(o -> assertThat(o.getItemsCount()).isEqualTo(100));
      page.getOrdersList().forEach(o -> assertThat(seen.add(o.getOrderId())).as("returned twice").isTrue());
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());

    assertThat(seen).hasSize(1000);
    assertThat(pages).isGreaterThan(10);
    System.out.printf("ListOrders of 1000 orders x 100 lines: %d pages of at most %d bytes%n", pages, PageRequest.MAX_PAGE_BYTES);
    assertServing();
  }

  private static void assertServing() {
    assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }
}
