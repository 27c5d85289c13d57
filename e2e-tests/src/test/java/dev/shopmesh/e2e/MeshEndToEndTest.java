package dev.shopmesh.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.shopmesh.order.v1.CreateOrderRequest;
import dev.shopmesh.order.v1.LineItem;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.order.v1.OrderServiceGrpc;
import dev.shopmesh.payment.v1.PaymentServiceGrpc;
import dev.shopmesh.platform.grpc.HealthProbe;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestUsers;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postgresql.ds.PGSimpleDataSource;

/** The mesh as a user runs it: `./mesh up` with two replicas of everything, behind the Java edge. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeshEndToEndTest {
  private static MeshProcess mesh;
  private static ManagedChannel edgeGrpc;
  private static final HttpClient http = HttpClient.newHttpClient();
  private static final Set<String> orderIds = ConcurrentHashMap.newKeySet();

  @BeforeAll
  static void up() throws Exception {
    mesh = new MeshProcess(2);
    mesh.awaitUp(Duration.ofMinutes(3));
    edgeGrpc = ManagedChannelBuilder.forAddress("localhost", mesh.grpcPort).usePlaintext().build();
  }

  @AfterAll
  static void down() {
    if (edgeGrpc != null) {
      edgeGrpc.shutdownNow();
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  record Reply(int status, JsonObject body) {}

  static Reply rest(String method, String path, String body) throws Exception {
    return rest(method, path, body, null);
  }

  static Reply rest(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(mesh.restUrl() + path)).timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    request = body == null ? request.GET() : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(response.statusCode(), JsonParser.parseString(response.body()).getAsJsonObject());
  }

  static String orderJson(String userId, long unitPrice) {
    return """
        {"userId": "%s", "currencyCode": "EUR", "items": [{"sku": "e2e", "quantity": 1, "unitPriceMinor": "%d"}]}"""
        .formatted(userId, unitPrice);
  }

  @Test
  @org.junit.jupiter.api.Order(1)
  void theShopFlowWorksThroughTheRestEdge() throws Exception {
    // Sign up and in through the edge, as a client does; the token goes on every later call.
    TestUsers.SignedIn customer = TestUsers.signUpRest(mesh.restUrl());
    String userId = customer.userId();
    String token = customer.token();

    Reply anonymous = rest("POST", "/v1/orders", orderJson(userId, 2500), null);
    assertThat(anonymous.status()).as("no token").isEqualTo(401);

    Reply order = rest("POST", "/v1/orders?requestId=" + UUID.randomUUID(), orderJson(userId, 2500), token);
    assertThat(order.status()).isEqualTo(200);
    assertThat(order.body().get("state").getAsString()).isEqualTo("CONFIRMED");
    assertThat(order.body().get("totalMinor").getAsString()).as("int64 as a string").isEqualTo("2500");
    String orderId = order.body().get("orderId").getAsString();
    orderIds.add(orderId);

    Reply forAnother = rest("POST", "/v1/orders", orderJson(UUID.randomUUID().toString(), 100), token);
    assertThat(forAnother.status()).as("a customer orders only for themself").isEqualTo(403);
    String admin = TestUsers.adminRest(mesh.restUrl(), MeshProcess.ADMIN_EMAIL, MeshProcess.ADMIN_PASSWORD).token();
    Reply unknown = rest("POST", "/v1/orders", orderJson(UUID.randomUUID().toString(), 100), admin);
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.body().get("message").getAsString()).contains("not found");

    // ./mesh login prints a token for curl and grpcurl (the password from MESH_PASSWORD).
    java.nio.file.Path root = java.nio.file.Path.of("..").toAbsolutePath().normalize();
    ProcessBuilder loginCommand =
        new ProcessBuilder(root.resolve("mesh").toString(), "login", customer.email())
            .directory(root.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    loginCommand.environment().put("MESH_EDGE_URL", mesh.restUrl());
    loginCommand.environment().put("MESH_PASSWORD", customer.password());
    loginCommand.environment().put("MESH_SKIP_BUILD", "1"); // this build has just packaged every jar
    Process login = loginCommand.start();
    String printed = new String(login.getInputStream().readAllBytes()).trim();
    assertThat(login.waitFor()).isZero();
    assertThat(rest("GET", "/v1/users/" + userId, null, printed).status()).as("./mesh login's token").isEqualTo(200);

    Reply cancelled = rest("POST", "/v1/orders/" + orderId + ":cancel", "{}", token);
    assertThat(cancelled.body().get("state").getAsString()).isEqualTo("CANCELLED");
    Reply payments = rest("GET", "/v1/payments?orderId=" + orderId, null, token);
    assertThat(payments.body().getAsJsonArray("payments").get(0).getAsJsonObject().get("state").getAsString())
        .isEqualTo("REFUNDED");
  }

  @Test
  @org.junit.jupiter.api.Order(2)
  void everyOrderChangeReachesItsCustomerAsOneNotificationInOrder() throws Exception {
    TestUsers.SignedIn adaIn = TestUsers.signUpRest(mesh.restUrl());
    TestUsers.SignedIn bobIn = TestUsers.signUpRest(mesh.restUrl());
    String ada = adaIn.userId();
    String bob = bobIn.userId();
    String confirmed = rest("POST", "/v1/orders", orderJson(ada, 1500), adaIn.token()).body().get("orderId").getAsString();
    JsonObject declined = rest("POST", "/v1/orders", orderJson(ada, 500_000), adaIn.token()).body();
    assertThat(declined.get("state").getAsString()).isEqualTo("PAYMENT_DECLINED");
    String cancelled = rest("POST", "/v1/orders", orderJson(ada, 2500), adaIn.token()).body().get("orderId").getAsString();
    assertThat(rest("POST", "/v1/orders/" + cancelled + ":cancel", "{}", adaIn.token()).body().get("state").getAsString()).isEqualTo("CANCELLED");
    String bobs = rest("POST", "/v1/orders", orderJson(bob, 900), bobIn.token()).body().get("orderId").getAsString();
    orderIds.addAll(List.of(confirmed, declined.get("orderId").getAsString(), cancelled, bobs));

    // What each order went through, oldest first: exactly these notifications, once each.
    java.util.Map<String, List<String>> expected =
        java.util.Map.of(
            confirmed, List.of("ORDER_CONFIRMED"),
            declined.get("orderId").getAsString(), List.of("ORDER_DECLINED"),
            cancelled, List.of("ORDER_CONFIRMED", "ORDER_CANCELLED", "ORDER_REFUNDED"));
    List<JsonObject> adas = awaitNotifications(adaIn.token(), 5);
    java.util.Map<String, List<String>> got = new java.util.HashMap<>();
    java.util.Map<String, List<Long>> sequences = new java.util.HashMap<>();
    for (JsonObject n : adas.reversed()) { // the list is newest first
      assertThat(n.get("userId").getAsString()).isEqualTo(ada);
      got.computeIfAbsent(n.get("orderId").getAsString(), k -> new ArrayList<>()).add(n.get("kind").getAsString());
      sequences.computeIfAbsent(n.get("orderId").getAsString(), k -> new ArrayList<>()).add(n.get("sequence").getAsLong());
    }
    assertThat(got).isEqualTo(expected);
    assertThat(sequences.get(cancelled)).containsExactly(1L, 2L, 3L);
    assertThat(adas).extracting(n -> n.get("eventId").getAsString()).doesNotHaveDuplicates();

    List<JsonObject> bobsList = awaitNotifications(bobIn.token(), 1);
    assertThat(bobsList).extracting(n -> n.get("orderId").getAsString()).containsExactly(bobs);
    assertThat(rest("GET", "/v1/notifications?userId=" + ada, null, bobIn.token()).status())
        .as("Bob asking for Ada's notifications").isEqualTo(403);
    assertThat(rest("GET", "/v1/notifications", null, null).status()).as("no token").isEqualTo(401);
  }

  /** The signed-in user's notifications once there are {@code count}, and a second later (to catch extras). */
  private static List<JsonObject> awaitNotifications(String token, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<JsonObject> list = List.of();
    while (System.nanoTime() < deadline) {
      Reply reply = rest("GET", "/v1/notifications", null, token);
      assertThat(reply.status()).isEqualTo(200);
      list = new ArrayList<>();
      for (var e : reply.body().getAsJsonArray("notifications")) {
        list.add(e.getAsJsonObject());
      }
      if (list.size() >= count) {
        Thread.sleep(1000);
        list = new ArrayList<>();
        for (var e : rest("GET", "/v1/notifications", null, token).body().getAsJsonArray("notifications")) {
          list.add(e.getAsJsonObject());
        }
        return list;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the user has " + list.size() + " notifications, not " + count + ", after 60 s");
  }

  @Test
  @org.junit.jupiter.api.Order(2)
  void generatedStubsWorkThroughTheGrpcEdge() {
    TestUsers.SignedIn signedIn = TestUsers.signUp(edgeGrpc);
    var users = TestIdentity.as(UserServiceGrpc.newBlockingStub(edgeGrpc), signedIn.token());
    User user = users.getUser(GetUserRequest.newBuilder().setUserId(signedIn.userId()).build());
    assertThat(user.getEmail()).isEqualTo(signedIn.email());

    Order order =
        TestIdentity.as(OrderServiceGrpc.newBlockingStub(edgeGrpc), signedIn.token())
            .createOrder(order(user.getUserId(), UUID.randomUUID()));
    assertThat(order.getState()).isEqualTo(Order.State.CONFIRMED);
    orderIds.add(order.getOrderId());
  }

  private static CreateOrderRequest order(String userId, UUID requestId) {
    return CreateOrderRequest.newBuilder()
        .setRequestId(requestId.toString())
        .setOrder(
            dev.shopmesh.order.v1.Order.newBuilder()
                .setUserId(userId)
                .setCurrencyCode("EUR")
                .addItems(LineItem.newBuilder().setSku("stream").setQuantity(1).setUnitPriceMinor(700)))
        .build();
  }

  @Test
  @org.junit.jupiter.api.Order(3)
  void killingOneReplicaOfEachServiceFailsNoRequestWithAnythingButUnavailable() throws Exception {
    TestUsers.SignedIn streamer = TestUsers.signUp(edgeGrpc);
    String userId = streamer.userId();
    var orders = TestIdentity.as(OrderServiceGrpc.newBlockingStub(edgeGrpc), streamer.token());
    AtomicBoolean streaming = new AtomicBoolean(true);
    List<Status.Code> failures = new ArrayList<>();
    int[] succeeded = new int[1];
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> streams = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      streams.add(
          clients.submit(
              () -> {
                while (streaming.get()) {
                  UUID requestId = UUID.randomUUID();
                  // A client that is told UNAVAILABLE retries with the same request id: the
                  // order is placed once, however many times it is sent.
                  for (int attempt = 0; attempt < 20; attempt++) {
                    try {
                      Order placed = orders.withDeadlineAfter(Duration.ofSeconds(20)).createOrder(order(userId, requestId));
                      orderIds.add(placed.getOrderId());
                      synchronized (failures) {
                        succeeded[0]++;
                      }
                      break;
                    } catch (StatusRuntimeException e) {
                      synchronized (failures) {
                        failures.add(e.getStatus().getCode());
                      }
                      Thread.sleep(200);
                    }
                  }
                }
                return null;
              }));
    }
    Thread.sleep(2000);
    List<String> killed = List.of("user-svc-1", "order-svc-1", "payment-svc-1");
    for (String name : killed) {
      long pid = mesh.pid(name).orElseThrow();
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
      Thread.sleep(1500);
    }
    Thread.sleep(3000);
    streaming.set(false);
    for (Future<?> stream : streams) {
      stream.get();
    }
    clients.shutdown();

    System.out.printf("stream: %d orders placed, failures by code %s%n", succeeded[0], failures);
    assertThat(succeeded[0]).isPositive();
    assertThat(failures).as("a request fails only with a clear UNAVAILABLE").allMatch(c -> c == Status.Code.UNAVAILABLE);
    for (int offset = 0; offset < 3; offset++) {
      assertThat(HealthProbe.awaitServing("localhost", mesh.servicePort(offset, 0), Duration.ofSeconds(90)))
          .as("the killed replica on port %d came back", mesh.servicePort(offset, 0))
          .isTrue();
    }
    assertThat(mesh.output()).anyMatch(l -> l.contains("order-svc-1 exited") && l.contains("restarting"));

    DataSource ordersDb = database("orders");
    for (int i = 0; i < 300 && SagaInvariants.unsettled(ordersDb) > 0; i++) {
      Thread.sleep(100);
    }
    var counts =
        SagaInvariants.checkSettled(
            ordersDb, database("payments"), orderIds, TestIdentity.as(PaymentServiceGrpc.newBlockingStub(
                ManagedChannelBuilder.forAddress("localhost", mesh.servicePort(2, 1)).usePlaintext().build()),
                TestUsers.admin(edgeGrpc, MeshProcess.ADMIN_EMAIL, MeshProcess.ADMIN_PASSWORD).token()));
    System.out.println(counts);
    try (var c = ordersDb.getConnection();
        var rs = c.createStatement().executeQuery("SHOW synchronous_commit")) {
      rs.next();
      assertThat(rs.getString(1)).as("an order the client was told about is on disk").isEqualTo("on");
    }
  }

  @Test
  @org.junit.jupiter.api.Order(4)
  void sigtermStopsEverythingWithoutErrors() throws Exception {
    int exit = mesh.terminate(Duration.ofSeconds(90));

    assertThat(exit).isZero();
    assertThat(mesh.output()).anyMatch(l -> l.contains("mesh") && l.contains("stopped"));
    int stoppedAt = mesh.output().indexOf(mesh.output().stream().filter(l -> l.contains("stopping (Ctrl-C again")).findFirst().orElseThrow());
    assertThat(mesh.output().subList(stoppedAt, mesh.output().size()))
        .as("nothing logged at ERROR or WARN while stopping")
        .noneMatch(l -> l.contains(" ERROR ") || l.contains(" WARN ") || l.contains("Exception"));
    assertThat(mesh.liveChildren()).as("no service process is left").isEmpty();
    assertThat(mesh.postmaster()).as("no PostgreSQL is left").isEmpty();
  }

  private static DataSource database(String name) {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"localhost"});
    ds.setPortNumbers(new int[] {mesh.pgPort});
    ds.setDatabaseName(name);
    ds.setUser("postgres");
    return ds;
  }
}
