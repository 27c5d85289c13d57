package dev.shopmesh.platform.telemetry;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import io.grpc.ClientInterceptor;
import io.grpc.ServerInterceptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.instrumentation.grpc.v1_6.GrpcTelemetry;
import io.opentelemetry.instrumentation.jdbc.datasource.JdbcTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * OpenTelemetry for one service: the SDK from the standard {@code OTEL_*} variables (SDK
 * autoconfigure), and the OTel library instrumentation for gRPC and JDBC built on it.
 *
 * <p>Defaults differ from the SDK's in one way: nothing is exported unless an OTLP endpoint is
 * configured ({@code OTEL_EXPORTER_OTLP_ENDPOINT} or a per-signal one), so that a local run
 * without a collector prints no exporter errors. Spans are sent with OTLP http/protobuf through
 * the JDK's own {@code HttpClient}.
 */
public final class Telemetry implements AutoCloseable {
  private final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk sdk;
  private final GrpcTelemetry grpc;
  private final JdbcTelemetry jdbc;

  private Telemetry(OpenTelemetry openTelemetry, OpenTelemetrySdk sdk) {
    this.openTelemetry = openTelemetry;
    this.sdk = sdk;
    this.grpc = GrpcTelemetry.create(openTelemetry);
    // Every statement is parameterized, so its text holds no values to scrub: skip the parse.
    this.jdbc = JdbcTelemetry.builder(openTelemetry).setQuerySanitizationEnabled(false).build();
  }

  /** Telemetry that records nothing. */
  public static Telemetry noop() {
    return new Telemetry(OpenTelemetry.noop(), null);
  }

  /** Telemetry around an SDK that the caller built (tests use an in-memory exporter). */
  public static Telemetry of(OpenTelemetrySdk sdk) {
    return new Telemetry(sdk, sdk);
  }

  /** The SDK configured from {@code env}'s {@code OTEL_*} variables. */
  public static Telemetry create(String serviceName, Env env) {
    Map<String, String> otelVars = new HashMap<>();
    env.withPrefix("OTEL_")
        .forEach(
            (k, v) -> {
              if (!v.isBlank()) {
                otelVars.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
              }
            });
    boolean endpointSet =
        otelVars.keySet().stream().anyMatch(k -> k.startsWith("otel.exporter.otlp.") && k.endsWith("endpoint"));
    String exporter = endpointSet ? "otlp" : "none";

    otelVars.forEach(
        (k, v) -> {
          if (k.startsWith("otel.exporter.otlp.") && k.endsWith(".protocol") && !v.equals("http/protobuf")) {
            throw new ConfigException(
                k.toUpperCase(Locale.ROOT).replace('.', '_')
                    + " must be http/protobuf: shopmesh sends OTLP over HTTP (port 4318) with the"
                    + " JDK's own HttpClient, got '" + v + "'");
          }
        });

    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.service.name", serviceName);
    // The Java SDK's default is grpc, which would need an extra HTTP/2 client; OTLP/HTTP is the
    // spec's default and Jaeger and the Collector take it on 4318.
    defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
    defaults.put("otel.traces.exporter", exporter);
    defaults.put("otel.metrics.exporter", exporter);
    defaults.put("otel.logs.exporter", "none");
    if (!endpointSet) {
      // Nothing is exported, so nothing need be recorded: spans still get ids (for x-trace-id,
      // log lines and propagation) but skip attribute and timing work.
      defaults.put("otel.traces.sampler", "always_off");
    }

    Attributes resourceDefaults =
        Attributes.builder()
            .put("service.version", version())
            .put("service.instance.id", UUID.randomUUID().toString())
            .put("deployment.environment", env.string("DEPLOYMENT_ENVIRONMENT", "local"))
            .put("deployment.environment.name", env.string("DEPLOYMENT_ENVIRONMENT", "local"))
            .build();

    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> defaults)
            .addPropertiesCustomizer(config -> otelVars)
            .addResourceCustomizer(
                (resource, config) -> Resource.create(resourceDefaults).merge(resource))
            .addSamplerCustomizer((sampler, config) -> new NoOrphanDbSpans(sampler))
            // With no exporter the SDK would hand out no-op spans without ids; callers still get
            // an x-trace-id, and logs a trace_id.
            .addTracerProviderCustomizer((builder, config) -> builder.addSpanProcessor(new KeepIds()))
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk();
    return of(sdk);
  }

  /** Does nothing but make the SDK create real spans when nothing exports them. */
  private static final class KeepIds implements SpanProcessor {
    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {}

    @Override
    public boolean isStartRequired() {
      return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {}

    @Override
    public boolean isEndRequired() {
      return false;
    }
  }

  private static String version() {
    String v = Telemetry.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /** A tracer for hand-made spans, where they tell a user something the library spans do not. */
  public Tracer tracer(String scope) {
    return openTelemetry.getTracer(scope, version());
  }

  public Meter meter(String scope) {
    return openTelemetry.getMeter(scope);
  }

  public ServerInterceptor serverInterceptor() {
    return grpc.createServerInterceptor();
  }

  public ClientInterceptor clientInterceptor() {
    return grpc.createClientInterceptor();
  }

  /** {@code dataSource} with a span for every statement. */
  public DataSource wrap(DataSource dataSource) {
    return jdbc.wrap(dataSource);
  }

  /** Flushes what is buffered and stops the SDK. */
  @Override
  public void close() {
    if (sdk != null) {
      sdk.shutdown().join(5, TimeUnit.SECONDS);
    }
  }
}
