package dev.shopmesh.platform.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import io.opentelemetry.api.trace.Span;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TelemetryTest {
  @Test
  void spansHaveTraceIdsEvenWhenNothingIsExported() {
    try (Telemetry telemetry = Telemetry.create("test", Env.of(Map.of()))) {
      Span span = telemetry.tracer("t").spanBuilder("s").startSpan();
      assertThat(span.getSpanContext().isValid()).as("x-trace-id needs a real trace id").isTrue();
      span.end();
    }
  }

  @Test
  void otlpOverGrpcIsRefusedWithTheVariableNamed() {
    assertThatThrownBy(
            () -> Telemetry.create("test", Env.of(Map.of("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("OTEL_EXPORTER_OTLP_PROTOCOL")
        .hasMessageContaining("http/protobuf");
  }
}
