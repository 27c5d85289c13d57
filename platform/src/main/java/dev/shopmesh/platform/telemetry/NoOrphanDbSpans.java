package dev.shopmesh.platform.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import java.util.List;

/**
 * Drops SQL spans that belong to no request, such as the reconciler polling its backlog every
 * few seconds: alone in a trace they tell nobody anything and bury the traces that matter. SQL
 * run inside a request, or inside a reconciler pass that found work, keeps its spans.
 */
final class NoOrphanDbSpans implements Sampler {
  private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system");
  private static final AttributeKey<String> DB_SYSTEM_NAME = AttributeKey.stringKey("db.system.name");

  private final Sampler delegate;

  NoOrphanDbSpans(Sampler delegate) {
    this.delegate = delegate;
  }

  @Override
  public SamplingResult shouldSample(
      Context parentContext,
      String traceId,
      String name,
      SpanKind spanKind,
      Attributes attributes,
      List<LinkData> parentLinks) {
    boolean orphan = !Span.fromContext(parentContext).getSpanContext().isValid();
    boolean sql =
        spanKind == SpanKind.CLIENT
            && (attributes.get(DB_SYSTEM) != null || attributes.get(DB_SYSTEM_NAME) != null);
    if (orphan && sql) {
      return SamplingResult.drop();
    }
    return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
  }

  @Override
  public String getDescription() {
    return "NoOrphanDbSpans{" + delegate.getDescription() + "}";
  }
}
