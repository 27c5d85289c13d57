package dev.shopmesh.edge;

import com.google.protobuf.DynamicMessage;
import com.google.rpc.Code;
import dev.shopmesh.edge.Contracts.PublicMethod;
import dev.shopmesh.edge.RouteTable.Found;
import dev.shopmesh.edge.RouteTable.MethodNotAllowed;
import dev.shopmesh.edge.RouteTable.NotFound;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.platform.auth.AccessRules;
import dev.shopmesh.platform.auth.AuthInterceptor;
import dev.shopmesh.platform.auth.TokenException;
import dev.shopmesh.platform.auth.TokenVerifier;
import dev.shopmesh.platform.telemetry.CallObserver;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One REST request, from route to response, independent of the HTTP server: find the route,
 * build the request message, call the backend asynchronously (no thread waits for it), and turn
 * its answer into JSON. The edge's own routes, {@code GET /healthz} and
 * {@code GET /openapi.json}, are exempt from the unknown-route rule.
 */
final class RestGateway {
  private static final Logger log = LoggerFactory.getLogger(RestGateway.class);

  /** What the HTTP server hands over. */
  record Request(String method, String uri, HttpHeaders headers, byte[] body, String clientAddress) {}

  /** What goes back; {@code headers} excludes content-length and connection. */
  record Response(int status, HttpHeaders headers, byte[] body) {}

  /** Stops a call in flight when the client goes away. */
  interface Cancel {
    void cancel();
  }

  private static final Cancel NOTHING = () -> {};
  private static final TextMapGetter<HttpHeaders> HEADERS =
      new TextMapGetter<>() {
        @Override
        @SuppressWarnings("deprecation") // still abstract in TextMapGetter; only its use is discouraged
        public Iterable<String> keys(HttpHeaders carrier) {
          return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
          return carrier == null ? null : carrier.get(key);
        }
      };

  private final RouteTable routes;
  private final RequestTranscoder transcoder;
  private final JsonPrinting json;
  private final Backends backends;
  private final Duration backendTimeout;
  private final byte[] openApi;
  private final BooleanSupplier serving;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final Map<String, MethodDescriptor<byte[], byte[]>> methods = new HashMap<>();
  private final Map<String, Level> levels = new HashMap<>();
  private final TokenVerifier verifier;
  private final SignInLimiter limiter;

  RestGateway(
      Contracts contracts,
      RouteTable routes,
      Backends backends,
      Duration backendTimeout,
      byte[] openApi,
      BooleanSupplier serving,
      TokenVerifier verifier,
      SignInLimiter limiter,
      Telemetry telemetry) {
    this.routes = routes;
    this.verifier = verifier;
    this.limiter = limiter;
    this.transcoder = new RequestTranscoder(contracts.typeRegistry());
    this.json = new JsonPrinting(contracts.typeRegistry());
    this.backends = backends;
    this.backendTimeout = backendTimeout;
    this.openApi = openApi;
    this.serving = serving;
    this.tracer = telemetry.openTelemetry().getTracer("dev.shopmesh.edge");
    this.propagator = telemetry.openTelemetry().getPropagators().getTextMapPropagator();
    for (PublicMethod m : contracts.publicMethods()) {
      levels.put(m.fullName(), AccessRules.ruleOf(m.method()).getLevel());
      methods.put(
          m.fullName(),
          MethodDescriptor.<byte[], byte[]>newBuilder()
              .setType(MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(m.fullName())
              .setRequestMarshaller(GrpcProxy.BYTES)
              .setResponseMarshaller(GrpcProxy.BYTES)
              .build());
    }
  }

  /**
   * Handles {@code request}; {@code done} receives the response exactly once, on any thread.
   * Every request gets a SERVER span, continuing the client's W3C {@code traceparent} when it
   * sends one, and every response carries that trace's id in {@code x-trace-id}.
   */
  Cancel handle(Request request, Consumer<Response> done) {
    Span span =
        tracer
            .spanBuilder(request.method())
            .setSpanKind(SpanKind.SERVER)
            .setParent(propagator.extract(io.opentelemetry.context.Context.root(), request.headers(), HEADERS))
            .setAttribute("http.request.method", request.method())
            .startSpan();
    return route(request, span, traced(span, done));
  }

  private static Consumer<Response> traced(Span span, Consumer<Response> done) {
    return response -> {
      if (span.getSpanContext().isValid()) {
        response.headers().set(CallObserver.TRACE_ID.name(), span.getSpanContext().getTraceId());
      }
      span.setAttribute("http.response.status_code", response.status());
      if (response.status() >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
      done.accept(response);
    };
  }

  private Cancel route(Request request, Span span, Consumer<Response> done) {
    String uri = request.uri();
    if (!uri.startsWith("/")) {
      // absolute-form request target: http://host:port/path?query
      int slash = uri.indexOf('/', uri.indexOf("//") + 2);
      uri = slash < 0 || !uri.contains("//") ? "/" : uri.substring(slash);
    }
    int q = uri.indexOf('?');
    String path = q < 0 ? uri : uri.substring(0, q);
    String query = q < 0 ? "" : uri.substring(q + 1);
    span.setAttribute("url.path", path);
    try {
      switch (path) {
        case "/healthz" -> {
          requireGet(request, path);
          boolean up = serving.getAsBoolean();
          done.accept(json(up ? 200 : 503, "{\"status\":\"" + (up ? "SERVING" : "NOT_SERVING") + "\"}"));
          return NOTHING;
        }
        case "/openapi.json" -> {
          requireGet(request, path);
          done.accept(new Response(200, jsonHeaders(), openApi));
          return NOTHING;
        }
        default -> {}
      }
      return switch (routes.lookup(request.method(), path)) {
        case Found found -> call(request, found, query, span, done);
        case MethodNotAllowed m -> throw methodNotAllowed(request.method(), path, String.join(", ", m.allowed()));
        case NotFound n -> throw EdgeError.notFound(request.method(), path);
      };
    } catch (EdgeError e) {
      done.accept(error(e));
      return NOTHING;
    }
  }

  private static void requireGet(Request request, String path) {
    if (!request.method().equals("GET")) {
      throw methodNotAllowed(request.method(), path, "GET");
    }
  }

  private static EdgeError methodNotAllowed(String method, String path, String allowed) {
    return EdgeError.of(
        405,
        Code.UNIMPLEMENTED,
        "METHOD_NOT_ALLOWED",
        method + " is not allowed on " + path + "; allowed: " + allowed,
        Map.of("method", method, "path", path))
        .withHeader("allow", allowed);
  }

  /**
   * The access check, before anything else is read: a method that is not PUBLIC needs a valid
   * bearer token (whether its role fits is the backend's to say). A token seen before is known
   * at once; a new one is verified on a virtual thread, since fetching keys may block.
   */
  private Cancel call(Request request, Found found, String query, Span span, Consumer<Response> done) {
    Optional<Duration> wait = limiter.take(found.route().method().fullName(), request.clientAddress());
    if (wait.isPresent()) {
      Response limited = json(429, json.status(SignInLimiter.status(wait.get())));
      limited.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(SignInLimiter.seconds(wait.get())));
      done.accept(limited);
      return NOTHING;
    }
    if (levels.getOrDefault(found.route().method().fullName(), Level.LEVEL_UNSPECIFIED) == Level.PUBLIC) {
      return forward(request, found, query, span, done);
    }
    String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
    Optional<String> token = AuthInterceptor.bearer(authorization);
    if (token.isEmpty()) {
      throw EdgeError.unauthenticated(
          authorization == null
              ? "this method needs a signed-in caller: send authorization: Bearer <access token>"
              : "the authorization header must be: Bearer <access token>",
          authorization != null);
    }
    if (verifier.remembered(token.get()).isPresent()) {
      return forward(request, found, query, span, done);
    }
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicReference<Cancel> inner = new AtomicReference<>(NOTHING);
    io.opentelemetry.context.Context otel = io.opentelemetry.context.Context.current();
    Thread.ofVirtual().name("edge-verify").start(otel.wrap(() -> {
      try {
        verifier.verify(token.get());
      } catch (TokenException e) {
        done.accept(error(
            e.kind() == TokenException.Kind.KEYS_UNAVAILABLE
                ? EdgeError.of(503, Code.UNAVAILABLE, AuthInterceptor.KEYS_UNAVAILABLE,
                    "cannot verify access tokens now (signing keys unavailable); retry later", Map.of())
                : EdgeError.unauthenticated("invalid access token: " + e.getMessage(), true)));
        return;
      }
      if (cancelled.get()) {
        return;
      }
      try {
        inner.set(forward(request, found, query, span, done));
      } catch (EdgeError e) {
        done.accept(error(e));
      } catch (RuntimeException e) {
        log.error("cannot forward {}", request.uri(), e);
        done.accept(internalError());
      }
    }));
    return () -> {
      cancelled.set(true);
      inner.get().cancel();
    };
  }

  @SuppressWarnings("try") // the scope only makes the span current while the call starts
  private Cancel forward(Request request, Found found, String query, Span span, Consumer<Response> done) {
    var route = found.route();
    String service = route.descriptor().getService().getFullName();
    span.updateName(request.method() + " " + route.template());
    span.setAttribute("http.route", route.template().toString());
    span.setAttribute("rpc.system", "grpc");
    span.setAttribute("rpc.service", service);
    span.setAttribute("rpc.method", route.descriptor().getName());
    byte[] message = transcoder.transcode(route, found.bindings(), query, request.body());
    Duration timeout = backendTimeout;
    var clientTimeout = HeaderForwarding.grpcTimeout(request.headers().get("grpc-timeout"));
    if (clientTimeout.isPresent() && clientTimeout.get().compareTo(timeout) < 0) {
      timeout = clientTimeout.get();
    }
    Metadata metadata = HeaderForwarding.fromRest(request.headers(), request.clientAddress());

    ClientCall<byte[], byte[]> call;
    try (Scope ignored = span.makeCurrent()) {
      // The REST call has no gRPC Context of its own; the deadline is set here.
      call =
          backends
              .channel(service)
              .newCall(
                  methods.get(route.method().fullName()),
                  CallOptions.DEFAULT.withDeadlineAfter(Math.max(timeout.toNanos(), 1), TimeUnit.NANOSECONDS));
      call.start(new Listener(route.descriptor().getOutputType(), service, route.descriptor().getName(), span, done), metadata);
      call.request(1);
      call.sendMessage(message);
      call.halfClose();
    }
    return () -> call.cancel("the HTTP client went away", null);
  }

  private final class Listener extends ClientCall.Listener<byte[]> {
    private final com.google.protobuf.Descriptors.Descriptor outputType;
    private final String service;
    private final String method;
    private final Span span;
    private final Consumer<Response> done;
    private Metadata headers;
    private byte[] message;

    Listener(
        com.google.protobuf.Descriptors.Descriptor outputType,
        String service,
        String method,
        Span span,
        Consumer<Response> done) {
      this.outputType = outputType;
      this.service = service;
      this.method = method;
      this.span = span;
      this.done = done;
    }

    @Override
    public void onHeaders(Metadata headers) {
      this.headers = headers;
    }

    @Override
    public void onMessage(byte[] message) {
      this.message = message;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      Response response;
      try {
        response = respond(status, trailers);
      } catch (RuntimeException e) {
        log.error("cannot build the response for {}", span, e);
        response = internalError();
      }
      span.setAttribute("rpc.grpc.status_code", status.getCode().value());
      done.accept(response);
    }

    private Response respond(Status status, Metadata trailers) {
      if (status.isOk() && message != null) {
        String body;
        try {
          body = json.print(DynamicMessage.parseFrom(outputType, message));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          // Envoy answers 502 when it cannot transcode a response.
          log.warn("{}: backend response does not parse as {}", span, outputType.getFullName(), e);
          return json(502, json.status(com.google.rpc.Status.newBuilder().setCode(Code.INTERNAL_VALUE)
              .setMessage("the backend's response could not be transcoded").build()));
        }
        Response ok = json(200, body);
        HeaderForwarding.toRest(headers, ok.headers());
        return ok;
      }
      if (status.isOk()) {
        status = Status.INTERNAL.withDescription("the backend sent no response message");
      }
      // The edge's own transport words (addresses, "Connection refused") stay in its log.
      status = BackendErrors.forClient(service, method, status, headers, trailers);
      Response error = json(JsonPrinting.httpStatus(status.getCode()), json.status(status, trailers));
      HeaderForwarding.toRest(headers, error.headers());
      if (status.getCode() == Status.Code.UNAUTHENTICATED) {
        error.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, EdgeError.BEARER_CHALLENGE);
      }
      retryAfter(status, trailers).ifPresent(s -> error.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(s)));
      return error;
    }
  }

  /** A RESOURCE_EXHAUSTED (or UNAVAILABLE) with a RetryInfo: its delay in whole seconds. */
  private static Optional<Long> retryAfter(Status status, Metadata trailers) {
    if (status.getCode() != Status.Code.RESOURCE_EXHAUSTED && status.getCode() != Status.Code.UNAVAILABLE) {
      return Optional.empty();
    }
    com.google.rpc.Status details = io.grpc.protobuf.StatusProto.fromStatusAndTrailers(status, trailers);
    if (details == null) {
      return Optional.empty();
    }
    for (com.google.protobuf.Any any : details.getDetailsList()) {
      if (any.is(com.google.rpc.RetryInfo.class)) {
        try {
          var delay = any.unpack(com.google.rpc.RetryInfo.class).getRetryDelay();
          return Optional.of(Math.max(1, delay.getSeconds() + (delay.getNanos() > 0 ? 1 : 0)));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  Response error(EdgeError e) {
    Response response = json(e.httpStatus(), json.status(e.status()));
    e.headers().forEach((name, value) -> response.headers().set(name, value));
    return response;
  }

  /** A bug in the edge: 500 with a message that leaks nothing. */
  Response internalError() {
    return json(
        500,
        json.status(
            com.google.rpc.Status.newBuilder()
                .setCode(Code.INTERNAL_VALUE)
                .setMessage("internal error")
                .build()));
  }

  private static Response json(int status, String body) {
    return new Response(status, jsonHeaders(), body.getBytes(StandardCharsets.UTF_8));
  }

  private static HttpHeaders jsonHeaders() {
    return new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
  }
}
