package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import dev.shopmesh.testkit.TestIdentity;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The edge in front of a UserService whose behaviour each test picks through the user id: a
 * given status, an answer that never comes, a slow one. Shows what clients see when backends
 * fail, and that deadlines, cancellation and headers cross the edge.
 */
class FakeBackendTest {
  /** What the fake saw of its last call. */
  private static final AtomicReference<Metadata> lastHeaders = new AtomicReference<>();
  private static final AtomicReference<Deadline> lastDeadline = new AtomicReference<>();
  private static volatile CountDownLatch cancelled = new CountDownLatch(1);
  private static volatile CountDownLatch arrived = new CountDownLatch(1);
  private static volatile CountDownLatch release = new CountDownLatch(1);

  private static Server backend;
  private static Edge edge;
  private static Rest rest;
  private static ManagedChannel grpc;

  /** GetUser by id: "hang", "slow" (waits for {@link #release}), "code-N", or a user. */
  private static final class FakeUsers extends UserServiceGrpc.UserServiceImplBase {
    @Override
    public void getUser(GetUserRequest request, StreamObserver<User> response) {
      Context context = Context.current();
      lastDeadline.set(context.getDeadline());
      CountDownLatch cancelledNow = cancelled;
      context.addListener(c -> cancelledNow.countDown(), Runnable::run);
      arrived.countDown();
      String id = request.getUserId();
      if (id.equals("hang")) {
        return;
      }
      if (id.equals("slow")) {
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (id.startsWith("code-")) {
        int code = Integer.parseInt(id.substring(5));
        response.onError(Status.fromCodeValue(code).withDescription("fake " + code).asRuntimeException());
        return;
      }
      response.onNext(User.newBuilder().setUserId(id).setName("Fake").build());
      response.onCompleted();
    }
  }

  /** Records request headers; answers with an {@code x-backend} header. */
  private static final ServerInterceptor RECORD =
      new ServerInterceptor() {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
          lastHeaders.set(headers);
          return next.startCall(
              new SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata responseHeaders) {
                  responseHeaders.put(Metadata.Key.of("x-backend", Metadata.ASCII_STRING_MARSHALLER), "fake");
                  super.sendHeaders(responseHeaders);
                }
              },
              headers);
        }
      };

  private static final String TOKEN = TestIdentity.shared().adminToken();

  @BeforeAll
  static void start() throws Exception {
    backend =
        NettyServerBuilder.forPort(0)
            .addService(ServerInterceptors.intercept(new FakeUsers(), RECORD))
            .build()
            .start();
    edge = startEdge("localhost:" + backend.getPort());
    // The edge checks tokens itself before the fake backend sees a call: the tests carry one.
    rest = new Rest("http://localhost:" + edge.httpPort()).withToken(TOKEN);
    grpc =
        ManagedChannelBuilder.forAddress("localhost", edge.grpcPort())
            .usePlaintext()
            .intercept(TestIdentity.bearerInterceptor(TOKEN))
            .build();
  }

  private static Edge startEdge(String userTarget) {
    return startEdge(userTarget, Map.of());
  }

  private static Edge startEdge(String userTarget, Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(LocalMesh.edgeEnv());
    String closed = "localhost:" + LocalMesh.closedPort();
    env.put("USER_SVC_TARGET", userTarget);
    env.put("ORDER_SVC_TARGET", closed);
    env.put("PAYMENT_SVC_TARGET", closed);
    env.put("EDGE_BACKEND_TIMEOUT", "30s");
    env.putAll(extra);
    return Main.start(Env.of(env));
  }

  @AfterAll
  static void stop() {
    grpc.shutdownNow();
    edge.stop();
    backend.shutdownNow();
  }

  private static void reset() {
    cancelled = new CountDownLatch(1);
    arrived = new CountDownLatch(1);
    release = new CountDownLatch(1);
    lastHeaders.set(null);
    lastDeadline.set(null);
  }

  @ParameterizedTest(name = "gRPC {0} is HTTP {1}")
  @CsvSource({
    "1, 499", "2, 500", "3, 400", "4, 504", "5, 404", "6, 409", "7, 403", "8, 429",
    "9, 400", "10, 409", "11, 400", "12, 501", "13, 500", "14, 503", "15, 500", "16, 401",
  })
  void backendStatusesBecomeEnvoysHttpStatuses(int code, int http) {
    Rest.Reply r = rest.get("/v1/users/code-" + code);

    assertThat(r.status()).isEqualTo(http);
    assertThat(r.contentType()).isEqualTo("application/json");
    assertThat(r.json().get("code").getAsInt()).isEqualTo(code);
    assertThat(r.json().get("message").getAsString()).isEqualTo("fake " + code);
    assertThat(r.json().getAsJsonArray("details")).isEmpty();
  }

  @Test
  void aRestClientsGrpcTimeoutBecomesTheBackendsDeadline() throws Exception {
    reset();

    Rest.Reply r = rest.send("GET", "/v1/users/hang", null, Map.of("grpc-timeout", "300m"));

    assertThat(r.status()).as(r.toString()).isEqualTo(504);
    assertThat(r.json().get("code").getAsInt()).isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());
    // The backend got the client's 300 ms, not the edge's 30 s, and was told to stop.
    assertThat(lastDeadline.get().timeRemaining(TimeUnit.MILLISECONDS)).isLessThan(1000);
    assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aGrpcClientsDeadlineReachesTheBackendThroughTheProxy() throws Exception {
    reset();
    var users = UserServiceGrpc.newBlockingStub(grpc).withDeadlineAfter(300, TimeUnit.MILLISECONDS);

    assertThatThrownBy(() -> users.getUser(GetUserRequest.newBuilder().setUserId("hang").build()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(lastDeadline.get()).isNotNull();
    assertThat(lastDeadline.get().timeRemaining(TimeUnit.MILLISECONDS)).isLessThan(1000);
    assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aRestClientThatHangsUpCancelsTheBackendCall() throws Exception {
    reset();
    try (Socket socket = new Socket("localhost", edge.httpPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("GET /v1/users/hang HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TOKEN + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
    }

    assertThat(cancelled.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aBackendThatIsDownIsServiceUnavailable() {
    Edge orphan = startEdge("localhost:" + LocalMesh.closedPort());
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("localhost", orphan.grpcPort())
            .usePlaintext()
            .intercept(TestIdentity.bearerInterceptor(TOKEN))
            .build();
    try {
      Rest.Reply r = new Rest("http://localhost:" + orphan.httpPort()).withToken(TOKEN).get("/v1/users/u-1");

      assertThat(r.status()).as(r.toString()).isEqualTo(503);
      assertThat(r.json().get("code").getAsInt()).isEqualTo(Status.Code.UNAVAILABLE.value());
      assertThatThrownBy(
              () -> UserServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                  .getUser(GetUserRequest.newBuilder().setUserId("u-1").build()))
          .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    } finally {
      channel.shutdownNow();
      orphan.stop();
    }
  }

  @Test
  void restHeadersReachTheBackendAsChosenMetadata() throws Exception {
    reset();
    String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    try (Socket socket = new Socket("localhost", edge.httpPort())) {
      socket.getOutputStream().write(
          ("GET /v1/users/u-1 HTTP/1.1\r\nHost: localhost\r\n"
                  + "Authorization: Bearer " + TOKEN + "\r\n"
                  + "X-Tenant: acme\r\n"
                  + "X-Hop: private\r\n"
                  + "Connection: close, X-Hop\r\n"
                  + "Cookie: session=1\r\n"
                  + "traceparent: 00-" + traceId + "-00f067aa0ba902b7-01\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(response).startsWith("HTTP/1.1 200").containsIgnoringCase("x-backend: fake");
    }

    Metadata md = lastHeaders.get();
    assertThat(value(md, "authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(value(md, "x-tenant")).isEqualTo("acme");
    assertThat(value(md, "x-request-id")).as("generated when absent").isNotBlank();
    assertThat(value(md, "x-forwarded-for")).contains("127.0.0.1");
    assertThat(value(md, "x-hop")).as("named by Connection, so hop-by-hop").isNull();
    assertThat(value(md, "cookie")).isNull();
    // The trace continues through the edge (with an OTLP endpoint set, the edge's own spans sit
    // in between; without one, the caller's context passes through as it is).
    assertThat(value(md, "traceparent")).startsWith("00-" + traceId + "-");
  }

  @Test
  void grpcMetadataCrossesTheProxyBothWays() {
    reset();
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER), "acme");
    headers.put(Metadata.Key.of("x-blob-bin", Metadata.BINARY_BYTE_MARSHALLER), new byte[] {0, 1, 2});
    AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    var users =
        UserServiceGrpc.newBlockingStub(grpc)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(headers),
                MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers));

    User user = users.getUser(GetUserRequest.newBuilder().setUserId("u-7").build());

    assertThat(user.getUserId()).isEqualTo("u-7");
    assertThat(value(lastHeaders.get(), "x-tenant")).isEqualTo("acme");
    assertThat(lastHeaders.get().get(Metadata.Key.of("x-blob-bin", Metadata.BINARY_BYTE_MARSHALLER))).containsExactly(0, 1, 2);
    assertThat(value(responseHeaders.get(), "x-backend")).isEqualTo("fake");
  }

  @Test
  void stoppingTheEdgeLetsRequestsInFlightFinish() throws Exception {
    reset();
    Edge draining = startEdge("localhost:" + backend.getPort(), Map.of("SHUTDOWN_DRAIN", "30s"));
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    CompletableFuture<HttpResponse<String>> inFlight =
        client.sendAsync(
            HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + draining.httpPort() + "/v1/users/slow"))
                .header("authorization", "Bearer " + TOKEN)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();

    Thread stopping = Thread.ofVirtual().start(draining::stop);
    // New connections are refused once the edge stops accepting...
    int port = draining.httpPort();
    for (int i = 0; i < 500 && accepts(port); i++) {
      Thread.sleep(10);
    }
    assertThat(accepts(port)).isFalse();
    // ...while the request in flight still gets its answer, and the connection closes after it.
    release.countDown();
    HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"userId\":\"slow\"");
    assertThat(response.headers().firstValue("connection")).hasValue("close");
    stopping.join();
  }

  @SuppressWarnings("try")
  private static boolean accepts(int port) {
    try (Socket ignored = new Socket("localhost", port)) {
      return true;
    } catch (java.io.IOException refused) {
      return false;
    }
  }

  private static String value(Metadata md, String name) {
    return md.get(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
  }
}
