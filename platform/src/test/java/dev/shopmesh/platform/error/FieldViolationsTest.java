package dev.shopmesh.platform.error;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.BadRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

class FieldViolationsTest {
  @Test
  void aMillionViolationsMakeAnErrorOfAFewKilobytes() {
    var violations = new FieldViolations();
    String longText = "é".repeat(10_000);
    for (int i = 0; i < 1_000_000; i++) {
      violations.add("order.items[" + i + "]." + longText, longText);
    }

    StatusRuntimeException e = new Errors("test.shopmesh.dev").invalidArgument(violations);

    assertThat(violations.count()).isEqualTo(1_000_000);
    byte[] details =
        e.getTrailers().get(Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER));
    String message = Status.fromThrowable(e).getDescription();
    // On the wire: details in base64, the message percent-encoded byte by byte.
    int onTheWire =
        (details.length + 2) / 3 * 4
            + message.getBytes(java.nio.charset.StandardCharsets.UTF_8).length * 3;
    assertThat(onTheWire).isLessThan(6 * 1024);
    assertThat(message).matches(".*; and \\d+ more \\(\\d+ listed in the details\\)");
    assertThat(StatusProto.fromThrowable(e).getDetailsList()).filteredOn(a -> a.is(BadRequest.class)).hasSize(1);
  }

  @Test
  void aFewViolationsAreAllNamed() {
    var violations = new FieldViolations().add("a", "is bad").add("b", "is worse");
    assertThat(violations.message()).isEqualTo("invalid a: is bad; invalid b: is worse");
  }
}
