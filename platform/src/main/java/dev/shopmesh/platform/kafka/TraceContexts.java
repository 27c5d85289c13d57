package dev.shopmesh.platform.kafka;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * W3C trace context (traceparent, tracestate) as plain strings, for events that carry the trace
 * of the change they report across a broker.
 */
public final class TraceContexts {
  /** The two W3C fields; empty strings when there is no valid span. */
  public record W3c(String traceparent, String tracestate) {}

  private static final TextMapGetter<Map<String, String>> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
          return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private TraceContexts() {}

  /** The trace context of the current span. */
  public static W3c current() {
    Map<String, String> carrier = new HashMap<>();
    W3CTraceContextPropagator.getInstance().inject(Context.current(), carrier, Map::put);
    return new W3c(carrier.getOrDefault("traceparent", ""), carrier.getOrDefault("tracestate", ""));
  }

  /** A context whose remote parent is the given span; the root context when it does not parse. */
  public static Context extract(String traceparent, String tracestate) {
    Map<String, String> carrier = new HashMap<>();
    if (traceparent != null && !traceparent.isEmpty()) {
      carrier.put("traceparent", traceparent);
    }
    if (tracestate != null && !tracestate.isEmpty()) {
      carrier.put("tracestate", tracestate);
    }
    return W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, GETTER);
  }

  static List<String> fields() {
    return List.copyOf(W3CTraceContextPropagator.getInstance().fields());
  }
}
