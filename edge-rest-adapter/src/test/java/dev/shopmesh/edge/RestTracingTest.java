package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.testkit.OtlpReceiver;
import dev.shopmesh.testkit.OtlpReceiver.ReceivedSpan;
import dev.shopmesh.testkit.SpanTree;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import java.net.URI;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestUsers;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A REST CreateOrder is one trace: the edge's SERVER span, order-svc under it, user-svc and
 * payment-svc under that, each with its SQL; exported over OTLP by the real SDK configuration
 * of every process to an in-process receiver standing in for Jaeger.
 */
class RestTracingTest {
  private static OtlpReceiver receiver;
  private static LocalMesh mesh;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    receiver = new OtlpReceiver();
    mesh =
        LocalMesh.start(
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                "OTEL_BSP_SCHEDULE_DELAY", "100",
                "OTEL_METRICS_EXPORTER", "none"));
  }

  @AfterAll
  static void stop() {
    mesh.close();
    receiver.close();
  }

  private static HttpResponse<String> post(String path, String body, String traceparent, String token) throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create(mesh.restBaseUrl() + path))
            .header("content-type", "application/json")
            .header("authorization", "Bearer " + token)
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (traceparent != null) {
      request.header("traceparent", traceparent);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A customer, signed up and in through the edge. */
  private static TestUsers.SignedIn newUser() {
    return TestUsers.signUpRest(mesh.restBaseUrl());
  }

  private static String order(String userId) {
    return "{\"userId\": \"" + userId + "\", \"currencyCode\": \"EUR\", \"items\": [{\"sku\": \"t\", \"quantity\": 1, \"unitPriceMinor\": \"990\"}]}";
  }

  private static SpanTree await(String traceId, Predicate<List<ReceivedSpan>> complete) throws InterruptedException {
    SpanTree tree = new SpanTree(receiver.awaitTrace(traceId, complete, Duration.ofSeconds(20)));
    System.out.print(tree.print());
    return tree;
  }

  private static boolean has(List<ReceivedSpan> spans, String service, SpanKind kind, String suffix) {
    return new SpanTree(spans).find(service, kind, suffix).isPresent();
  }

  @Test
  void aRestCreateOrderIsOneTraceFromTheEdgeDownToEverySqlStatement() throws Exception {
    TestUsers.SignedIn user = newUser();
    String clientTrace = hex(16);
    String clientSpan = hex(8);

    HttpResponse<String> response =
        post("/v1/orders", order(user.userId()), "00-" + clientTrace + "-" + clientSpan + "-01", user.token());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("x-trace-id")).as("the caller's trace continues").contains(clientTrace);

    SpanTree trace =
        await(
            clientTrace,
            t -> has(t, "edge", SpanKind.SPAN_KIND_SERVER, "/v1/orders")
                && has(t, "payment-svc", SpanKind.SPAN_KIND_SERVER, "Charge")
                && t.stream().filter(SpanTree::isSql).count() >= 5);
    ReceivedSpan edge = trace.find("edge", SpanKind.SPAN_KIND_SERVER, "/v1/orders").orElseThrow();
    ReceivedSpan orders = trace.server("order-svc", "CreateOrder");
    ReceivedSpan users = trace.server("user-svc", "GetUser");
    ReceivedSpan payments = trace.server("payment-svc", "Charge");

    assertThat(edge.parentSpanId()).as("the edge's span is a child of the caller's").isEqualTo(clientSpan);
    assertThat(edge.attribute("http.response.status_code")).isEqualTo("200");
    assertThat(edge.attribute("rpc.grpc.status_code")).isEqualTo("0");
    assertThat(trace.descendsFrom(orders, edge)).isTrue();
    assertThat(trace.descendsFrom(users, orders)).isTrue();
    assertThat(trace.descendsFrom(payments, orders)).isTrue();
    for (ReceivedSpan service : List.of(orders, users, payments)) {
      assertThat(trace.spans().stream().filter(s -> s.service().equals(service.service()) && SpanTree.isSql(s)))
          .as(service.service() + " runs SQL under its own server span")
          .isNotEmpty()
          .allMatch(s -> trace.descendsFrom(s, service));
    }
    assertThat(trace.spans().stream().filter(s -> s.attribute("rpc.grpc.status_code") != null))
        .hasSize(7) // the edge (server and client), CreateOrder, GetUser and Charge (client and server)
        .allMatch(s -> s.attribute("rpc.grpc.status_code").equals("0"));
    assertThat(trace.orphans(clientSpan)).as("spans whose parent is missing").isEmpty();
  }

  @Test
  void anUnknownUserShowsOnTheSpansThatFailed() throws Exception {
    String clientTrace = hex(16);
    String clientSpan = hex(8);

    HttpResponse<String> response =
        // An admin may place an order for anyone, so user-svc is asked and answers NOT_FOUND.
        post("/v1/orders", order(UUID.randomUUID().toString()), "00-" + clientTrace + "-" + clientSpan + "-01",
            TestIdentity.shared().adminToken());
    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.headers().firstValue("x-trace-id")).contains(clientTrace);

    SpanTree trace =
        await(
            clientTrace,
            t -> has(t, "edge", SpanKind.SPAN_KIND_SERVER, "/v1/orders")
                && has(t, "user-svc", SpanKind.SPAN_KIND_SERVER, "GetUser")
                && has(t, "order-svc", SpanKind.SPAN_KIND_SERVER, "CreateOrder"));
    ReceivedSpan edge = trace.find("edge", SpanKind.SPAN_KIND_SERVER, "/v1/orders").orElseThrow();
    assertThat(edge.attribute("http.response.status_code")).isEqualTo("400");
    assertThat(edge.attribute("rpc.grpc.status_code")).as("FAILED_PRECONDITION").isEqualTo("9");
    assertThat(trace.server("order-svc", "CreateOrder").attribute("rpc.grpc.status_code")).isEqualTo("9");
    assertThat(trace.server("user-svc", "GetUser").attribute("rpc.grpc.status_code")).as("NOT_FOUND").isEqualTo("5");
    assertThat(trace.find("order-svc", SpanKind.SPAN_KIND_CLIENT, "GetUser").orElseThrow().status())
        .isEqualTo(StatusCode.STATUS_CODE_ERROR);
    assertThat(trace.spans()).noneMatch(s -> s.service().equals("payment-svc"));
    assertThat(trace.orphans(clientSpan)).isEmpty();
  }

  @Test
  void withoutATraceparentTheEdgeStartsTheTraceAndReturnsItsId() throws Exception {
    TestUsers.SignedIn user = newUser();
    HttpResponse<String> response = post("/v1/orders", order(user.userId()), null, user.token());
    String traceId = response.headers().firstValue("x-trace-id").orElseThrow();

    SpanTree trace =
        await(traceId, t -> has(t, "edge", SpanKind.SPAN_KIND_SERVER, "/v1/orders") && has(t, "order-svc", SpanKind.SPAN_KIND_SERVER, "CreateOrder"));
    assertThat(trace.find("edge", SpanKind.SPAN_KIND_SERVER, "/v1/orders").orElseThrow().isRoot()).isTrue();
    assertThat(trace.orphans("")).isEmpty();
  }

  @Test
  void anEdgeErrorAlsoCarriesATraceId() throws Exception {
    HttpResponse<String> response = post("/v1/nowhere", "{}", null, "no-token");
    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("x-trace-id")).get().asString().hasSize(32);
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    new Random().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
