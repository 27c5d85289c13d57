package dev.shopmesh.order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import dev.shopmesh.order.v1.Order;
import dev.shopmesh.platform.telemetry.CallObserver;
import dev.shopmesh.testkit.OtlpReceiver;
import dev.shopmesh.testkit.OtlpReceiver.ReceivedSpan;
import dev.shopmesh.testkit.SpanTree;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * One trace per CreateOrder across order-svc, user-svc and payment-svc and their SQL, exported
 * over OTLP to an in-process receiver through each service's real SDK configuration.
 */
class TracingTest {
  private static OtlpReceiver receiver;
  private static Shop shop;
  private static ListAppender<ILoggingEvent> logs;

  @BeforeAll
  static void start() {
    receiver = new OtlpReceiver();
    shop =
        new Shop(
            Map.of(
                "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                "OTEL_BSP_SCHEDULE_DELAY", "100",
                "OTEL_METRIC_EXPORT_INTERVAL", "500"),
            Map.of("RECONCILE_ENABLED", "false"));
    logs = new ListAppender<>();
    logs.start();
    // Behind the OTel MDC appender, as the console appenders are: events arrive with trace ids.
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    @SuppressWarnings("unchecked")
    var traced = (AppenderAttachable<ILoggingEvent>) root.getAppender("traced");
    traced.addAppender(logs);
  }

  @AfterAll
  static void stop() {
    shop.close();
    receiver.close();
  }

  /** A client's own trace context, as a W3C traceparent header. */
  record ClientTrace(String traceId, String spanId) {
    static ClientTrace random() {
      Random r = new Random();
      byte[] trace = new byte[16];
      byte[] span = new byte[8];
      r.nextBytes(trace);
      r.nextBytes(span);
      return new ClientTrace(HexFormat.of().formatHex(trace), HexFormat.of().formatHex(span));
    }

    Metadata headers() {
      Metadata m = new Metadata();
      m.put(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER), "00-" + traceId + "-" + spanId + "-01");
      return m;
    }
  }


  @Test
  void oneCreateOrderIsOneTraceAcrossEveryServiceAndItsSql() throws Exception {
    String buyer = shop.newUser();
    ClientTrace client = ClientTrace.random();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Order order =
        shop.orderClient
            .withInterceptors(
                MetadataUtils.newAttachHeadersInterceptor(client.headers()),
                MetadataUtils.newCaptureMetadataInterceptor(new AtomicReference<>(), trailers))
            .createOrder(Shop.order(buyer, 1999, 1));
    assertThat(order.getState()).isEqualTo(Order.State.CONFIRMED);

    Predicate<List<ReceivedSpan>> complete =
        t -> t.stream().anyMatch(s -> s.service().equals("payment-svc") && SpanTree.isSql(s))
            && t.stream().anyMatch(s -> s.service().equals("order-svc") && s.kind() == SpanKind.SPAN_KIND_SERVER);
    SpanTree trace = new SpanTree(receiver.awaitTrace(client.traceId(), complete, Duration.ofSeconds(20)));
    System.out.print(trace.print());

    assertThat(trailers.get().get(CallObserver.TRACE_ID)).as("x-trace-id trailer").isEqualTo(client.traceId());
    ReceivedSpan orders = trace.server("order-svc", "CreateOrder");
    ReceivedSpan users = trace.server("user-svc", "GetUser");
    ReceivedSpan payments = trace.server("payment-svc", "Charge");
    assertThat(orders.parentSpanId()).as("continues the client's trace").isEqualTo(client.spanId());
    assertThat(trace.descendsFrom(users, orders)).isTrue();
    assertThat(trace.descendsFrom(payments, orders)).isTrue();
    assertThat(orders.attribute("order.id")).isEqualTo(order.getOrderId());
    assertThat(orders.attribute("order.state")).isEqualTo("CONFIRMED");
    for (ReceivedSpan service : List.of(orders, users, payments)) {
      List<ReceivedSpan> sql =
          trace.spans().stream().filter(s -> s.service().equals(service.service()) && SpanTree.isSql(s)).toList();
      assertThat(sql).as(service.service() + " SQL spans").isNotEmpty();
      assertThat(sql).allSatisfy(s -> assertThat(trace.descendsFrom(s, service)).as(s.name()).isTrue());
    }
    assertThat(trace.spans().stream().filter(s -> s.attribute("rpc.grpc.status_code") != null))
        .as("every RPC span carries its gRPC status")
        .hasSize(5) // CreateOrder; GetUser and Charge, each as client and server
        .allSatisfy(s -> assertThat(s.attribute("rpc.grpc.status_code")).isEqualTo("0"));
    assertThat(trace.spans().stream().map(ReceivedSpan::name))
        .contains("saga check user", "saga record order", "saga charge");
    assertThat(trace.orphans(client.spanId())).as("spans whose parent is missing").isEmpty();
  }

  @Test
  void anUnknownUserShowsItsErrorOnTheSpansThatFailed() throws Exception {
    ClientTrace client = ClientTrace.random();
    assertThatThrownBy(
            () ->
                shop.orderClient
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(client.headers()))
                    .createOrder(Shop.order(UUID.randomUUID().toString(), 100, 1)))
        .hasMessageContaining("not found");

    SpanTree trace =
        new SpanTree(receiver.awaitTrace(
            client.traceId(),
            t -> t.stream().anyMatch(s -> s.service().equals("order-svc") && s.kind() == SpanKind.SPAN_KIND_SERVER)
                && t.stream().anyMatch(s -> s.service().equals("user-svc") && s.kind() == SpanKind.SPAN_KIND_SERVER),
            Duration.ofSeconds(20)));
    System.out.print(trace.print());

    ReceivedSpan orders = trace.server("order-svc", "CreateOrder");
    ReceivedSpan users = trace.server("user-svc", "GetUser");
    ReceivedSpan getUserCall =
        trace.find("order-svc", SpanKind.SPAN_KIND_CLIENT, "GetUser").orElseThrow();
    assertThat(orders.attribute("rpc.grpc.status_code")).as("FAILED_PRECONDITION").isEqualTo("9");
    assertThat(users.attribute("rpc.grpc.status_code")).as("NOT_FOUND").isEqualTo("5");
    assertThat(getUserCall.status()).isEqualTo(StatusCode.STATUS_CODE_ERROR);
    assertThat(trace.spans()).filteredOn(s -> s.name().equals("saga check user"))
        .singleElement()
        .satisfies(s -> assertThat(s.status()).isEqualTo(StatusCode.STATUS_CODE_ERROR));
    assertThat(trace.spans()).as("no order was recorded, so no saga went further")
        .noneMatch(s -> s.name().equals("saga record order") || s.service().equals("payment-svc"));
    assertThat(trace.orphans(client.spanId())).as("spans whose parent is missing").isEmpty();

    assertThat(logs.list)
        .as("the failed call's log line carries its trace id")
        .anySatisfy(
            e -> {
              assertThat(e.getFormattedMessage()).contains("CreateOrder failed: FAILED_PRECONDITION");
              assertThat(e.getMDCPropertyMap()).containsEntry("trace_id", client.traceId());
            });
  }

  @Test
  void metricsReachTheCollector() throws Exception {
    shop.orderClient.createOrder(Shop.order(shop.newUser(), 100, 1));
    for (int i = 0; i < 100 && !receiver.metricNames().contains("shopmesh.orders.placed"); i++) {
      Thread.sleep(100);
    }
    assertThat(receiver.metricNames())
        .contains(
            "rpc.server.duration",
            "rpc.client.duration",
            "db.client.connection.count",
            "db.client.connection.pending_requests",
            "shopmesh.orders.placed",
            "shopmesh.reconciler.backlog");
  }
}
