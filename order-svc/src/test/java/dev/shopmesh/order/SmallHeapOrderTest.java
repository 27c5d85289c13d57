package dev.shopmesh.order;

import static dev.shopmesh.testkit.Statuses.code;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.platform.grpc.HealthProbe;
import dev.shopmesh.testkit.ChildJvm;
import dev.shopmesh.testkit.FreePorts;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The request that took order-svc down, against order-svc in a JVM as small as the mesh gives
 * it ({@code -Xmx128m -XX:+ExitOnOutOfMemoryError}, as under {@code ./mesh up}) and accepting
 * 1 MiB requests: 300,000 empty items are one INVALID_ARGUMENT, and the JVM lives on, SERVING.
 */
class SmallHeapOrderTest {
  @Test
  void threeHundredThousandEmptyItemsDoNotTakeDownAnOrderSvcWith128MbOfHeap() throws Exception {
    GrpcServer users = dev.shopmesh.user.Main.start(TestEnv.service("users", Map.of()));
    Map<String, String> paymentVars = new java.util.HashMap<>(dev.shopmesh.testkit.TestTls.vars("payment-svc"));
    paymentVars.put("INTERNAL_PORT", "0");
    GrpcServer payments = dev.shopmesh.payment.Main.start(TestEnv.service("payments", paymentVars));
    Map<String, String> orderVars = new java.util.HashMap<>(dev.shopmesh.testkit.TestTls.vars("order-svc"));
    int port = FreePorts.next();
    orderVars.putAll(
        Map.of(
            "PORT", Integer.toString(port),
            "USER_SVC_TARGET", "localhost:" + users.port(),
            "PAYMENT_SVC_TARGET", "localhost:" + payments.internalPort().orElseThrow(),
            "GRPC_MAX_INBOUND_MESSAGE_BYTES", Integer.toString(1 << 20),
            "RECONCILE_ENABLED", "false"));
    Map<String, String> env =
        TestEnv.serviceVars(
            "orders",
            orderVars);
    ChildJvm orders =
        ChildJvm.start("dev.shopmesh.order.Main", env, List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError"));
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    try {
      Order.Builder huge = Order.newBuilder().setUserId(UUID.randomUUID().toString()).setCurrencyCode("EUR");
      for (int i = 0; i < 300_000; i++) {
        huge.addItems(LineItem.getDefaultInstance());
      }
      CreateOrderRequest request = CreateOrderRequest.newBuilder().setOrder(huge).build();

      Throwable e =
          catchThrowable(
              () ->
                  TestIdentity.as(OrderServiceGrpc.newBlockingStub(channel), TestIdentity.shared().adminToken())
                      .withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
                      .createOrder(request));

      assertThat(code(e)).as("%s\n%s", e, orders.output()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(orders.isAlive()).as(orders.output()).isTrue();
      assertThat(HealthProbe.awaitServing("localhost", port, Duration.ofSeconds(5))).isTrue();
    } finally {
      channel.shutdownNow();
      orders.close();
      payments.stop();
      users.stop();
    }
  }
}
