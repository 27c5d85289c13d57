package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Reflection, health and graceful shutdown, each on a server of its own. */
class ServerLifecycleTest {
  private GrpcServer server;
  private ManagedChannel channel;
  private DataSource db;

  @BeforeEach
  void start() {
    Env env = TestEnv.service("lifecycle", Map.of("SHUTDOWN_DRAIN", "30s"));
    server = Main.start(env);
    db = TestPostgres.dataSource(TestEnv.databaseName(env));
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.stop();
  }

  @Test
  void reflectionListsUserServiceHealthAndReflection() throws Exception {
    var responses = new LinkedBlockingQueue<ServerReflectionResponse>();
    var requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(collect(responses));
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();

    ServerReflectionResponse response = responses.poll(10, TimeUnit.SECONDS);
    assertThat(response).isNotNull();
    List<String> services =
        response.getListServicesResponse().getServiceList().stream()
            .map(ServiceResponse::getName)
            .toList();
    assertThat(services)
        .contains(
            "shopmesh.user.v1.UserService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection");
  }

  @Test
  void healthIsServingThenNotServingOnShutdown() throws Exception {
    var health = HealthGrpc.newBlockingStub(channel);
    assertThat(health.check(HealthCheckRequest.newBuilder().setService("").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(
            health
                .check(
                    HealthCheckRequest.newBuilder()
                        .setService("shopmesh.user.v1.UserService")
                        .build())
                .getStatus())
        .isEqualTo(ServingStatus.SERVING);

    BlockingQueue<HealthCheckResponse> statuses = new LinkedBlockingQueue<>();
    Context.CancellableContext watch = Context.current().withCancellation();
    watch.run(
        () ->
            HealthGrpc.newStub(channel)
                .watch(HealthCheckRequest.newBuilder().setService("").build(), collect(statuses)));
    assertThat(statuses.poll(10, TimeUnit.SECONDS).getStatus()).isEqualTo(ServingStatus.SERVING);

    CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
    assertThat(statuses.poll(10, TimeUnit.SECONDS).getStatus())
        .isEqualTo(ServingStatus.NOT_SERVING);
    watch.cancel(null); // an open watch would hold the drain until it times out
    stopping.get(20, TimeUnit.SECONDS);
  }

  @Test
  void anInFlightCallCompletesDuringGracefulShutdown() throws Exception {
    var users = UserServiceGrpc.newFutureStub(channel);
    String email = "inflight" + UUID.randomUUID() + "@example.com";
    try (Connection lock = db.getConnection()) {
      lock.setAutoCommit(false);
      try (Statement s = lock.createStatement()) {
        s.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
      }
      var call =
          users.createUser(
              CreateUserRequest.newBuilder()
                  .setUser(User.newBuilder().setName("In flight").setEmail(email).setPassword(TestIdentity.PASSWORD))
                  .build());
      awaitBlockedOnLock(lock);

      CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
      Thread.sleep(500);
      assertThat(stopping).as("drain waits for the in-flight call").isNotDone();
      assertThatThrownBy(
              () ->
                  UserServiceGrpc.newBlockingStub(
                          ManagedChannelBuilder.forAddress("localhost", server.port())
                              .usePlaintext()
                              .build())
                      .withDeadlineAfter(Duration.ofSeconds(5))
                      .createUser(CreateUserRequest.getDefaultInstance()))
          .as("a new connection is refused while draining")
          .isInstanceOf(StatusRuntimeException.class)
          .satisfies(
              e ->
                  assertThat(((StatusRuntimeException) e).getStatus().getCode())
                      .isEqualTo(Status.Code.UNAVAILABLE));

      lock.rollback();
      assertThat(call.get(10, TimeUnit.SECONDS).getEmail()).isEqualTo(email);
      stopping.get(20, TimeUnit.SECONDS);
    }
  }

  /** Waits until some other session waits on a lock: the CreateUser INSERT. */
  private static void awaitBlockedOnLock(Connection lockHolder) throws Exception {
    for (int i = 0; i < 200; i++) {
      try (Statement s = lockHolder.createStatement();
          ResultSet rs =
              s.executeQuery(
                  // The INSERT waits while it is parsed, before pg_stat_activity shows its text.
                  "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                      + " AND datname = current_database() AND pid <> pg_backend_pid()")) {
        rs.next();
        if (rs.getInt(1) > 0) {
          return;
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("CreateUser never reached the database");
  }

  private static <T> StreamObserver<T> collect(BlockingQueue<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
