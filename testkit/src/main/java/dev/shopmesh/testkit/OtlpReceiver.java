package dev.shopmesh.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.zip.GZIPInputStream;

/**
 * An in-process OTLP/HTTP receiver standing in for Jaeger: it accepts what the services' SDKs
 * export to {@code /v1/traces} and {@code /v1/metrics} (protobuf, as the OTel SDK sends it) and
 * keeps it for assertions.
 */
public final class OtlpReceiver implements AutoCloseable {
  /** One received span, flattened with the service that sent it. */
  public record ReceivedSpan(
      String service,
      String traceId,
      String spanId,
      String parentSpanId,
      String name,
      io.opentelemetry.proto.trace.v1.Span.SpanKind kind,
      io.opentelemetry.proto.trace.v1.Status.StatusCode status,
      List<KeyValue> attributes) {

    public String attribute(String key) {
      return attributes.stream()
          .filter(kv -> kv.getKey().equals(key))
          .map(kv -> value(kv.getValue()))
          .findFirst()
          .orElse(null);
    }

    public boolean isRoot() {
      return parentSpanId.isEmpty();
    }
  }

  private final HttpServer server;
  private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
  private final Set<String> metricNames = ConcurrentHashMap.newKeySet();

  public OtlpReceiver() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    server.createContext("/v1/traces", this::traces);
    server.createContext("/v1/metrics", this::metrics);
    server.createContext("/v1/logs", exchange -> reply(exchange));
    server.start();
  }

  /** The value for {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
  public String endpoint() {
    return "http://localhost:" + server.getAddress().getPort();
  }

  public List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  public List<ReceivedSpan> trace(String traceId) {
    return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  public Set<String> metricNames() {
    return Set.copyOf(metricNames);
  }

  /** Waits until the spans of {@code traceId} satisfy {@code complete}; returns them. */
  public List<ReceivedSpan> awaitTrace(String traceId, Predicate<List<ReceivedSpan>> complete, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      List<ReceivedSpan> trace = trace(traceId);
      if (complete.test(trace)) {
        Thread.sleep(300); // let late stragglers of the same trace arrive too
        return trace(traceId);
      }
      Thread.sleep(50);
    }
    return trace(traceId);
  }

  private void traces(HttpExchange exchange) throws IOException {
    ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(body(exchange));
    for (ResourceSpans rs : request.getResourceSpansList()) {
      String service = attribute(rs.getResource(), "service.name");
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
          spans.add(
              new ReceivedSpan(
                  service,
                  hex(s.getTraceId().toByteArray()),
                  hex(s.getSpanId().toByteArray()),
                  hex(s.getParentSpanId().toByteArray()),
                  s.getName(),
                  s.getKind(),
                  s.getStatus().getCode(),
                  new ArrayList<>(s.getAttributesList())));
        }
      }
    }
    reply(exchange);
  }

  private void metrics(HttpExchange exchange) throws IOException {
    ExportMetricsServiceRequest request = ExportMetricsServiceRequest.parseFrom(body(exchange));
    request.getResourceMetricsList().forEach(
        rm -> rm.getScopeMetricsList().forEach(sm -> sm.getMetricsList().forEach(m -> metricNames.add(m.getName()))));
    reply(exchange);
  }

  private static byte[] body(HttpExchange exchange) throws IOException {
    InputStream in = exchange.getRequestBody();
    if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
      in = new GZIPInputStream(in);
    }
    return in.readAllBytes();
  }

  private static void reply(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
    exchange.sendResponseHeaders(200, 0);
    exchange.close();
  }

  private static String attribute(Resource resource, String key) {
    return resource.getAttributesList().stream()
        .filter(kv -> kv.getKey().equals(key))
        .map(kv -> value(kv.getValue()))
        .findFirst()
        .orElse("");
  }

  private static String value(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case INT_VALUE -> Long.toString(v.getIntValue());
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
      default -> v.toString();
    };
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
