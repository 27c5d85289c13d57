package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.RawGrpc;
import dev.shopmesh.testkit.SagaInvariants;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bytes no generated client would send, on a real socket to user-svc's production wiring: every
 * one is INVALID_ARGUMENT (grpc-java alone answers UNKNOWN or INTERNAL), writes nothing, and
 * leaves the service SERVING.
 */
class HostileUserInputTest {
  private static final String CREATE_USER = UserServiceGrpc.getCreateUserMethod().getFullMethodName();

  private static GrpcServer server;
  private static ManagedChannel channel;
  private static DataSource db;

  @BeforeAll
  static void start() {
    // No bootstrap admin: the tests count every row of users.
    Env env = TestEnv.service("users", TestEnv.NO_BOOTSTRAP_ADMIN);
    server = Main.start(env);
    db = TestPostgres.dataSource(TestEnv.databaseName(env));
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.stop();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // CreateUserRequest.user (1) = { User.name (2) = one byte 0xff }
    "invalid UTF-8 in a proto3 string, 0a031201ff,           UTF-8",
    "a truncated message,              0a0512016141,         ended unexpectedly",
    "an invalid wire type,             0a0217ff,             wire type",
    "a user that claims more bytes,    0a7f1201ff,           ended unexpectedly",
  })
  void aMalformedCreateUserIsInvalidArgumentAndCreatesNoUser(String what, String hex, String said) {
    Status status = RawGrpc.call(channel, CREATE_USER, hex);

    assertThat(status.getCode()).as(what + ": " + status).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription())
        .startsWith("the request is not a valid shopmesh.user.v1.CreateUserRequest message")
        .containsIgnoringCase(said);
    assertThat(SagaInvariants.count(db, "SELECT count(*) FROM users")).isZero();
    assertServing();
  }

  @ParameterizedTest(name = "{0} messages")
  @CsvSource({"2", "0"})
  void aCreateUserWithOtherThanOneMessageIsInvalidArgument(int count) {
    String wellFormed = toHex(
        CreateUserRequest.newBuilder()
            .setUser(User.newBuilder().setName("Ada").setEmail("ada" + count + "@example.com"))
            .build()
            .toByteArray());
    String[] messages = java.util.Collections.nCopies(count, wellFormed).toArray(String[]::new);

    Status status = RawGrpc.call(channel, CREATE_USER, messages);

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("exactly one request message");
    assertThat(SagaInvariants.count(db, "SELECT count(*) FROM users")).isZero();
    assertServing();
  }

  @org.junit.jupiter.api.Test
  void aRequestLargerThanAnyValidCreateUserIsRefusedBeforeItIsParsed() {
    var request =
        CreateUserRequest.newBuilder()
            .setUser(User.newBuilder().setName("a".repeat(Main.MAX_INBOUND_MESSAGE_BYTES)).setEmail("big@example.com"))
            .build();

    var e =
        org.assertj.core.api.Assertions.catchThrowableOfType(
            StatusRuntimeException.class,
            () -> UserServiceGrpc.newBlockingStub(channel).createUser(request));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertServing();
  }

  private static String toHex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }

  private static void assertServing() {
    assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
  }
}
