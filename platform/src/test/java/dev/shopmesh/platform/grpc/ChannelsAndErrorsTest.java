package dev.shopmesh.platform.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.platform.telemetry.Telemetry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Client channels (balancing, retries, deadlines) and server error mapping, over real sockets. */
class ChannelsAndErrorsTest {
  private final List<GrpcServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(GrpcServer::stop);
  }

  /** A SimpleService whose UnaryRpc does whatever {@code behaviour} says. */
  private GrpcServer server(Supplier<SimpleResponse> behaviour) {
    var service =
        new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
            response.onNext(behaviour.get());
            response.onCompleted();
          }
        };
    var settings = ServerSettings.from(dev.shopmesh.platform.config.Env.of(Map.of("PORT", "0")), 0);
    GrpcServer server =
        GrpcServer.start(
            "test", GrpcServer.netty(settings), settings, Telemetry.noop(), TestAccess.SIMPLE_SERVICE_PUBLIC, TestAccess.NO_KEYS, List.of(service), List.of());
    servers.add(server);
    return server;
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub client(String target, Duration timeout) {
    return client(target, timeout, 4);
  }

  private SimpleServiceGrpc.SimpleServiceBlockingStub client(String target, Duration timeout, int attempts) {
    ManagedChannel channel =
        Channels.create(
            new ChannelSettings(target, timeout, attempts),
            Telemetry.noop(),
            List.of(SimpleServiceGrpc.SERVICE_NAME));
    channels.add(channel);
    return SimpleServiceGrpc.newBlockingStub(channel);
  }

  @Test
  void aListOfAddressesIsBalancedRoundRobin() {
    AtomicInteger a = new AtomicInteger();
    AtomicInteger b = new AtomicInteger();
    GrpcServer first = server(() -> count(a));
    GrpcServer second = server(() -> count(b));
    var stub = client("localhost:" + first.port() + ",localhost:" + second.port(), Duration.ofSeconds(5));

    // round_robin picks among READY connections: warm up until both are.
    for (int i = 0; i < 200 && (a.get() == 0 || b.get() == 0); i++) {
      stub.unaryRpc(SimpleRequest.getDefaultInstance());
    }
    a.set(0);
    b.set(0);
    for (int i = 0; i < 20; i++) {
      stub.unaryRpc(SimpleRequest.getDefaultInstance());
    }
    assertThat(a.get()).isEqualTo(10);
    assertThat(b.get()).isEqualTo(10);
  }

  @Test
  void unavailableIsRetriedByTheServiceConfig() {
    AtomicInteger calls = new AtomicInteger();
    GrpcServer flaky =
        server(
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw Status.UNAVAILABLE.withDescription("try again").asRuntimeException();
              }
              return SimpleResponse.newBuilder().setResponseMessage("ok").build();
            });
    var stub = client("localhost:" + flaky.port(), Duration.ofSeconds(5));

    assertThat(stub.unaryRpc(SimpleRequest.getDefaultInstance()).getResponseMessage()).isEqualTo("ok");
    assertThat(calls.get()).isEqualTo(3);
  }

  @Test
  void onlyTheNamedMethodsAreRetriedWhenRetriesArePerMethod() {
    AtomicInteger calls = new AtomicInteger();
    GrpcServer flaky =
        server(
            () -> {
              if (calls.incrementAndGet() % 3 != 0) {
                throw Status.UNAVAILABLE.withDescription("try again").asRuntimeException();
              }
              return SimpleResponse.newBuilder().setResponseMessage("ok").build();
            });
    var settings = new ChannelSettings("localhost:" + flaky.port(), Duration.ofSeconds(5), 4);
    String service = SimpleServiceGrpc.SERVICE_NAME;
    ManagedChannel noRetries = Channels.create(settings, Telemetry.noop(), List.of(service), List.of());
    ManagedChannel retries =
        Channels.create(
            settings,
            Telemetry.noop(),
            List.of(service),
            List.of(SimpleServiceGrpc.getUnaryRpcMethod().getFullMethodName()));
    channels.add(noRetries);
    channels.add(retries);

    assertThatThrownBy(() -> SimpleServiceGrpc.newBlockingStub(noRetries).unaryRpc(SimpleRequest.getDefaultInstance()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(calls.get()).isEqualTo(1);
    assertThat(SimpleServiceGrpc.newBlockingStub(retries).unaryRpc(SimpleRequest.getDefaultInstance()).getResponseMessage())
        .isEqualTo("ok");
    assertThat(calls.get()).isEqualTo(3);
  }

  @Test
  void oneAttemptMeansNoRetry() {
    AtomicInteger calls = new AtomicInteger();
    GrpcServer flaky =
        server(
            () -> {
              calls.incrementAndGet();
              throw Status.UNAVAILABLE.asRuntimeException();
            });
    var stub = client("localhost:" + flaky.port(), Duration.ofSeconds(5), 1);

    assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.getDefaultInstance()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void otherErrorsAreNotRetried() {
    AtomicInteger calls = new AtomicInteger();
    GrpcServer failing =
        server(
            () -> {
              calls.incrementAndGet();
              throw Status.FAILED_PRECONDITION.asRuntimeException();
            });
    var stub = client("localhost:" + failing.port(), Duration.ofSeconds(5));

    assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.getDefaultInstance()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void theServiceConfigTimeoutIsTheCallDeadline() {
    GrpcServer slow =
        server(
            () -> {
              sleep(Duration.ofSeconds(2));
              return SimpleResponse.getDefaultInstance();
            });
    var stub = client("localhost:" + slow.port(), Duration.ofMillis(200));

    assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.getDefaultInstance()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
  }

  @Test
  void anUnexpectedExceptionIsInternalWithoutItsMessage() {
    GrpcServer buggy =
        server(
            () -> {
              throw new IllegalStateException("secret table name t_users_v2");
            });
    var stub = client("localhost:" + buggy.port(), Duration.ofSeconds(5));

    assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.getDefaultInstance()))
        .isInstanceOf(StatusRuntimeException.class)
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INTERNAL))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getDescription()).isEqualTo("internal error"))
        .hasMessageNotContaining("t_users_v2");
  }

  @Test
  void aDatabaseWithoutFreeConnectionsIsUnavailable() {
    GrpcServer starved =
        server(
            () -> {
              throw new RuntimeException(new SQLTransientConnectionException("pool exhausted"));
            });
    var stub = client("localhost:" + starved.port(), Duration.ofSeconds(5));

    assertThatThrownBy(() -> stub.unaryRpc(SimpleRequest.getDefaultInstance()))
        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  private static SimpleResponse count(AtomicInteger counter) {
    counter.incrementAndGet();
    return SimpleResponse.getDefaultInstance();
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
