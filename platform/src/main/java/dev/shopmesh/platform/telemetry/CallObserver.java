package dev.shopmesh.platform.telemetry;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a caller and an operator see of each call besides its answer: the trace id in the
 * {@code x-trace-id} trailer of every response, so it can be pasted into Jaeger, and one log
 * line per failed call with its code. Successful calls log nothing.
 *
 * <p>It runs inside the tracing interceptor, so the call's span is current when it closes: the
 * trailer and the log line (through the MDC) carry that span's trace.
 */
public final class CallObserver implements ServerInterceptor {
  public static final Metadata.Key<String> TRACE_ID =
      Metadata.Key.of("x-trace-id", Metadata.ASCII_STRING_MARSHALLER);
  private static final Logger log = LoggerFactory.getLogger("rpc");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            SpanContext span = Span.current().getSpanContext();
            if (span.isValid()) {
              trailers.put(TRACE_ID, span.getTraceId());
            }
            if (!status.isOk()) {
              logFailure(call.getMethodDescriptor().getFullMethodName(), status);
            }
            super.close(status, trailers);
          }
        },
        headers);
  }

  private static void logFailure(String method, Status status) {
    String line = "{} failed: {} {}";
    String description = status.getDescription() == null ? "" : status.getDescription();
    switch (status.getCode()) {
      case INTERNAL, UNKNOWN, DATA_LOSS -> log.error(line, method, status.getCode(), description);
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED ->
          log.warn(line, method, status.getCode(), description);
      default -> log.info(line, method, status.getCode(), description);
    }
  }
}
