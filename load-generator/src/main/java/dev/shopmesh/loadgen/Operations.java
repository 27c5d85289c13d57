package dev.shopmesh.loadgen;

import com.google.protobuf.Empty;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.order.v1.OrderServiceGrpc.OrderServiceStub;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.UserServiceGrpc;
import dev.shopmesh.user.v1.UserServiceGrpc.UserServiceStub;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.stub.ClientCalls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The requests of each scenario. Orders are small (one to three lines, at most 225.00 EUR), far
 * below payment-svc's limit, so the saga runs to CONFIRMED; each carries a fresh request_id, as a
 * careful client sends. One counts as ok only when the order came back CONFIRMED: an order left
 * PENDING_PAYMENT (payment-svc slow or down) or PAYMENT_DECLINED is counted apart.
 */
final class Operations {
  private Operations() {}

  /** The ceiling: an empty unary call to the echo server. */
  static Operation echo(GrpcChannels channels, Duration timeout) {
    long deadline = timeout.toNanos();
    Empty empty = Empty.getDefaultInstance();
    return inRootContext(() -> {
      GrpcCall<Empty> call = new GrpcCall<>();
      ClientCalls.asyncUnaryCall(
          channels.get(channels.nextIndex()).newCall(
              EchoServer.CALL, CallOptions.DEFAULT.withDeadlineAfter(deadline, TimeUnit.NANOSECONDS)),
          empty,
          call);
      return call;
    });
  }

  static Operation grpcGetUser(GrpcChannels channels, UserPool users, Duration timeout) {
    UserServiceStub[] stubs = new UserServiceStub[channels.size()];
    for (int i = 0; i < stubs.length; i++) {
      stubs[i] = UserServiceGrpc.newStub(channels.get(i));
    }
    long deadline = timeout.toNanos();
    return inRootContext(() -> {
      GrpcCall<dev.shopmesh.user.v1.User> call = new GrpcCall<>();
      UserPool.Member user = users.any();
      stubs[channels.nextIndex()]
          .withDeadlineAfter(deadline, TimeUnit.NANOSECONDS)
          .withCallCredentials(bearer(user))
          .getUser(GetUserRequest.newBuilder().setUserId(user.id()).build(), call);
      return call;
    });
  }

  static Operation restGetUser(RestClient rest, UserPool users) {
    return () -> {
      UserPool.Member user = users.any();
      return http(rest.get("/v1/users/" + user.id(), user.authorization()));
    };
  }

  static Operation grpcCreateOrder(GrpcChannels channels, UserPool users, Duration timeout) {
    OrderServiceStub[] stubs = new OrderServiceStub[channels.size()];
    for (int i = 0; i < stubs.length; i++) {
      stubs[i] = OrderServiceGrpc.newStub(channels.get(i));
    }
    long deadline = timeout.toNanos();
    return inRootContext(() -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      UserPool.Member user = users.any();
      Order.Builder order = Order.newBuilder().setUserId(user.id()).setCurrencyCode("EUR");
      int lines = 1 + random.nextInt(3);
      for (int i = 0; i < lines; i++) {
        order.addItems(
            LineItem.newBuilder()
                .setSku("bench-sku-" + random.nextInt(100))
                .setQuantity(1 + random.nextInt(3))
                .setUnitPriceMinor(100 + random.nextInt(2401)));
      }
      GrpcCall<Order> call = new GrpcCall<>();
      stubs[channels.nextIndex()]
          .withDeadlineAfter(deadline, TimeUnit.NANOSECONDS)
          .withCallCredentials(bearer(user))
          .createOrder(
              CreateOrderRequest.newBuilder().setOrder(order).setRequestId(requestId(random)).build(), call);
      return call;
    });
  }

  static Operation restCreateOrder(RestClient rest, UserPool users) {
    return () -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      UserPool.Member user = users.any();
      StringBuilder json =
          new StringBuilder(256)
              .append("{\"userId\":\"")
              .append(user.id())
              .append("\",\"currencyCode\":\"EUR\",\"items\":[");
      int lines = 1 + random.nextInt(3);
      for (int i = 0; i < lines; i++) {
        json.append(i == 0 ? "" : ",")
            .append("{\"sku\":\"bench-sku-")
            .append(random.nextInt(100))
            .append("\",\"quantity\":")
            .append(1 + random.nextInt(3))
            .append(",\"unitPriceMinor\":\"")
            .append(100 + random.nextInt(2401))
            .append("\"}");
      }
      json.append("]}");
      return rest.post(
              "/v1/orders?requestId=" + requestId(random),
              json.toString().getBytes(StandardCharsets.UTF_8),
              user.authorization())
          .handle((r, e) -> e != null ? Outcomes.of(e) : Outcomes.httpOrder(r.status(), r.body()));
    };
  }

  /** Picks one of {@code operations} for each request, with the given weights. */
  static Operation mix(List<Operation> operations, List<Integer> weights) {
    int[] cumulative = new int[weights.size()];
    int total = 0;
    for (int i = 0; i < cumulative.length; i++) {
      total += weights.get(i);
      cumulative[i] = total;
    }
    Operation[] ops = operations.toArray(Operation[]::new);
    int sum = total;
    return () -> {
      int pick = ThreadLocalRandom.current().nextInt(sum);
      int i = 0;
      while (pick >= cumulative[i]) {
        i++;
      }
      return ops[i].send();
    };
  }

  /**
   * Starts each call in gRPC's root Context. A closed-loop caller sends its next call from the
   * previous call's callback, where that call's Context is current; a call inherits the current
   * Context (its cancellation, its deadline), so without this each call would be a child of the
   * one before, in a chain as long as the run.
   */
  private static Operation inRootContext(Operation op) {
    return () -> {
      Context previous = Context.ROOT.attach();
      try {
        return op.send();
      } finally {
        Context.ROOT.detach(previous);
      }
    };
  }

  private static CompletableFuture<String> http(CompletableFuture<HttpReply> reply) {
    return reply.handle((r, e) -> e != null ? Outcomes.of(e) : Outcomes.http(r.status()));
  }

  /** The user's token as call credentials (metadata {@code authorization: Bearer ...}). */
  static io.grpc.CallCredentials bearer(UserPool.Member user) {
    io.grpc.Metadata md = new io.grpc.Metadata();
    md.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), user.authorization());
    return new io.grpc.CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, java.util.concurrent.Executor executor, MetadataApplier applier) {
        applier.apply(md);
      }
    };
  }

  /** A random (version 4) UUID, without SecureRandom's cost on every request. */
  static String requestId(ThreadLocalRandom random) {
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }
}
