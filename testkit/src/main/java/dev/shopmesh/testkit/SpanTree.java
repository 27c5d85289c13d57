package dev.shopmesh.testkit;

import dev.shopmesh.testkit.OtlpReceiver.ReceivedSpan;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import java.util.List;
import java.util.Optional;

/** The spans of one trace as a tree: who is under whom, what hangs loose, and a printout. */
public record SpanTree(List<ReceivedSpan> spans) {

  public Optional<ReceivedSpan> find(String service, SpanKind kind, String nameSuffix) {
    return spans.stream()
        .filter(s -> s.service().equals(service) && s.kind() == kind && s.name().endsWith(nameSuffix))
        .findFirst();
  }

  public ReceivedSpan server(String service, String method) {
    return find(service, SpanKind.SPAN_KIND_SERVER, method)
        .orElseThrow(() -> new AssertionError("no " + service + " server span for " + method + " in\n" + print()));
  }

  public boolean descendsFrom(ReceivedSpan span, ReceivedSpan ancestor) {
    String parent = span.parentSpanId();
    while (!parent.isEmpty()) {
      if (parent.equals(ancestor.spanId())) {
        return true;
      }
      String p = parent;
      parent = spans.stream().filter(s -> s.spanId().equals(p)).map(ReceivedSpan::parentSpanId).findFirst().orElse("");
    }
    return false;
  }

  /** Spans whose parent is neither in the trace nor {@code externalParent} (the caller's span). */
  public List<ReceivedSpan> orphans(String externalParent) {
    return spans.stream()
        .filter(s -> !s.parentSpanId().isEmpty() && !s.parentSpanId().equals(externalParent))
        .filter(s -> spans.stream().noneMatch(p -> p.spanId().equals(s.parentSpanId())))
        .toList();
  }

  public static boolean isSql(ReceivedSpan s) {
    return s.kind() == SpanKind.SPAN_KIND_CLIENT
        && (s.attribute("db.system") != null || s.attribute("db.system.name") != null);
  }

  /** The tree, indented, one span a line, with gRPC and HTTP status codes. */
  public String print() {
    StringBuilder out = new StringBuilder("trace " + (spans.isEmpty() ? "" : spans.getFirst().traceId()) + "\n");
    spans.stream()
        .filter(s -> spans.stream().noneMatch(p -> p.spanId().equals(s.parentSpanId())))
        .forEach(root -> print(root, 1, out));
    return out.toString();
  }

  private void print(ReceivedSpan span, int depth, StringBuilder out) {
    String grpc = span.attribute("rpc.grpc.status_code");
    String http = span.attribute("http.response.status_code");
    out.append("  ".repeat(depth))
        .append(span.service()).append("  ")
        .append(span.kind().name().replace("SPAN_KIND_", "")).append("  ")
        .append(span.name())
        .append(http == null ? "" : "  http=" + http)
        .append(grpc == null ? "" : "  grpc=" + grpc)
        .append(span.status() == StatusCode.STATUS_CODE_ERROR ? "  ERROR" : "")
        .append('\n');
    spans.stream().filter(s -> s.parentSpanId().equals(span.spanId())).forEach(c -> print(c, depth + 1, out));
  }
}
