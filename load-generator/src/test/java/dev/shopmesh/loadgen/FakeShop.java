package dev.shopmesh.loadgen;

import com.sun.net.httpserver.HttpServer;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for the mesh, over real loopback sockets: user-svc and the edge's gRPC proxy (one
 * Netty server with UserService, OrderService and health) and the edge's REST (the JDK's HTTP
 * server). REST answers every seventh request with 503, so that errors get counted too. Of the
 * orders it answers (gRPC and REST), every fifth stays PENDING_PAYMENT and every eleventh is
 * PAYMENT_DECLINED, so that a create-order that is answered but not CONFIRMED gets counted apart.
 */
final class FakeShop implements AutoCloseable {
  private final Set<String> users = ConcurrentHashMap.newKeySet();
  private final AtomicLong restRequests = new AtomicLong();
  private final Server grpc;
  private final HttpServer http;

  FakeShop() throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    grpc =
        NettyServerBuilder.forAddress(new InetSocketAddress(loopback, 0))
            .addService(new Users())
            .addService(new Orders())
            .addService(new Sessions())
            .addService(new HealthStatusManager().getHealthService())
            .build()
            .start();
    http = HttpServer.create(new InetSocketAddress(loopback, 0), 64);
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.createContext(
        "/v1/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          long n = restRequests.incrementAndGet();
          int status = n % 7 == 0 ? 503 : 200;
          String ok =
              exchange.getRequestURI().getPath().equals("/v1/orders")
                  ? "{\"orderId\":\"o\", \"state\" : \"" + state(n).name() + "\"}"
                  : "{\"ok\":true}";
          byte[] body = (status == 200 ? ok : "{\"code\":14}").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "application/json");
          exchange.sendResponseHeaders(status, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    http.start();
  }

  Targets targets() {
    String host = InetAddress.getLoopbackAddress().getHostAddress();
    return new Targets(
        host + ":" + grpc.getPort(),
        host + ":" + grpc.getPort(),
        URI.create("http://" + host + ":" + http.getAddress().getPort()));
  }

  @Override
  public void close() {
    http.stop(0);
    grpc.shutdownNow();
  }

  private final class Users extends UserServiceGrpc.UserServiceImplBase {
    @Override
    public void createUser(CreateUserRequest request, StreamObserver<User> response) {
      String id = UUID.randomUUID().toString();
      users.add(id);
      response.onNext(request.getUser().toBuilder().setUserId(id).build());
      response.onCompleted();
    }

    @Override
    public void getUser(GetUserRequest request, StreamObserver<User> response) {
      if (!users.contains(request.getUserId())) {
        response.onError(Status.NOT_FOUND.asRuntimeException());
        return;
      }
      response.onNext(User.newBuilder().setUserId(request.getUserId()).setName("x").build());
      response.onCompleted();
    }
  }

  static Order.State state(long n) {
    return n % 5 == 0 ? Order.State.PENDING_PAYMENT : n % 11 == 0 ? Order.State.PAYMENT_DECLINED : Order.State.CONFIRMED;
  }

  /** Signs anyone in, with a token nobody checks here. */
  private static final class Sessions extends dev.shopmesh.user.v1.SessionServiceGrpc.SessionServiceImplBase {
    @Override
    public void createSession(
        dev.shopmesh.user.v1.CreateSessionRequest request, StreamObserver<dev.shopmesh.user.v1.Session> response) {
      response.onNext(dev.shopmesh.user.v1.Session.newBuilder().setAccessToken("fake-token").build());
      response.onCompleted();
    }
  }

  private static final class Orders extends OrderServiceGrpc.OrderServiceImplBase {
    private final AtomicLong orders = new AtomicLong();

    @Override
    public void createOrder(CreateOrderRequest request, StreamObserver<Order> response) {
      response.onNext(request.getOrder().toBuilder().setState(state(orders.incrementAndGet())).build());
      response.onCompleted();
    }
  }
}
