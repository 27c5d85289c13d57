package dev.shopmesh.platform.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bytes that are not a request message, sent over a real socket as a hostile or broken client
 * would send them (a ClientCall with a raw byte marshaller), reach every service through
 * {@link GrpcServer}: each must be INVALID_ARGUMENT with a message that says what is wrong,
 * never UNKNOWN or INTERNAL, and the service must not see the call at all.
 */
class MalformedRequestTest {
  private static GrpcServer server;
  private static ManagedChannel channel;
  private static final AtomicInteger handled = new AtomicInteger();

  /** A byte[] passed through as the message: whatever the test wants on the wire. */
  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  @BeforeAll
  static void start() {
    var service =
        new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
            handled.incrementAndGet();
            response.onNext(SimpleResponse.newBuilder().setResponseMessage(request.getRequestMessage()).build());
            response.onCompleted();
          }
        };
    var settings = ServerSettings.from(Env.of(Map.of("PORT", "0")), 0);
    server =
        GrpcServer.start(
            "test", GrpcServer.netty(settings), settings, Telemetry.noop(), TestAccess.SIMPLE_SERVICE_PUBLIC, TestAccess.NO_KEYS,
            List.of(service), List.of());
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.stop();
  }

  /** Sends {@code messages} (hex, each one message frame) on UnaryRpc; returns the status. */
  static Status send(ManagedChannel channel, String fullMethod, String... messages) throws Exception {
    var method =
        MethodDescriptor.newBuilder(RAW, RAW)
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING) // the server goes by its own type
            .setFullMethodName(fullMethod)
            .build();
    ClientCall<byte[], byte[]> call =
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.request(2);
    for (String hex : messages) {
      call.sendMessage(HexFormat.of().parseHex(hex));
    }
    call.halfClose();
    return closed.get(15, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // SimpleRequest.requestMessage is field 1, a proto3 string (tag 0a).
    "invalid UTF-8 in a proto3 string,       0a01ff,                   UTF-8",
    "a truncated message,                    0a05616263,               ended unexpectedly",
    "an invalid wire type,                   0f00,                     wire type",
    "a zero tag,                             00,                       invalid tag",
  })
  void aMalformedMessageIsInvalidArgumentAndNeverReachesTheService(
      String what, String hex, String said) throws Exception {
    int before = handled.get();

    Status status = send(channel, SimpleServiceGrpc.getUnaryRpcMethod().getFullMethodName(), hex);

    assertThat(status.getCode()).as(what + ": " + status).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription())
        .startsWith("the request is not a valid grpc.testing.SimpleRequest message")
        .containsIgnoringCase(said);
    assertThat(handled.get()).isEqualTo(before);
    assertServing();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"two messages on a unary call, 2", "no message on a unary call, 0"})
  void aUnaryCallWithOtherThanOneMessageIsInvalidArgument(String what, int count) throws Exception {
    String[] messages = new String[count];
    java.util.Arrays.fill(messages, "0a026869"); // requestMessage = "hi"
    int before = handled.get();

    Status status = send(channel, SimpleServiceGrpc.getUnaryRpcMethod().getFullMethodName(), messages);

    assertThat(status.getCode()).as(what + ": " + status).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("exactly one request message");
    assertThat(handled.get()).isEqualTo(before);
    assertServing();
  }

  @org.junit.jupiter.api.Test
  void aWellFormedMessageSentRawStillWorks() throws Exception {
    Status status = send(channel, SimpleServiceGrpc.getUnaryRpcMethod().getFullMethodName(), "0a026869");
    assertThat(status.getCode()).isEqualTo(Status.Code.OK);
  }

  private static void assertServing() {
    assertThat(
            HealthGrpc.newBlockingStub(channel)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }
}
