package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import dev.shopmesh.platform.config.ConfigException;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.GrpcServer;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.ListUsersRequest;
import dev.shopmesh.user.v1.ListUsersResponse;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** UserService through a real gRPC socket, against a real PostgreSQL. */
class UserServiceTest {
  private static GrpcServer server;
  private static ManagedChannel channel;
  private static UserServiceGrpc.UserServiceBlockingStub users;
  private static DataSource db;

  @BeforeAll
  static void start() {
    Env env = TestEnv.service("users", Map.of());
    server = Main.start(env);
    db = TestPostgres.dataSource(TestEnv.databaseName(env));
    channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
    // An admin sees every user; what a customer sees is SessionServiceTest's and AccessTest's.
    users = TestIdentity.as(UserServiceGrpc.newBlockingStub(channel), TestIdentity.shared().adminToken());
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.stop();
  }

  private static String uniqueEmail() {
    return "u" + UUID.randomUUID() + "@example.com";
  }

  private static CreateUserRequest create(String name, String email) {
    return CreateUserRequest.newBuilder()
        .setUser(User.newBuilder().setName(name).setEmail(email).setPassword(TestIdentity.PASSWORD))
        .build();
  }

  @Test
  void createdUserCanBeFetchedById() {
    String email = uniqueEmail();
    User created = users.createUser(create("Ada Lovelace", email));

    assertThat(created.getUserId()).hasSize(36);
    assertThat(created.getName()).isEqualTo("Ada Lovelace");
    assertThat(created.getEmail()).isEqualTo(email);
    assertThat(created.getCreateTime().getSeconds()).isPositive();
    User fetched = users.getUser(GetUserRequest.newBuilder().setUserId(created.getUserId()).build());
    assertThat(fetched).isEqualTo(created);
  }

  @Test
  void outputOnlyFieldsSentByTheClientAreIgnored() {
    String chosen = UUID.randomUUID().toString();
    User created =
        users.createUser(
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setUserId(chosen).setName("Bob").setEmail(uniqueEmail()).setPassword(TestIdentity.PASSWORD))
                .build());
    assertThat(created.getUserId()).isNotEqualTo(chosen);
  }

  @Test
  void unknownUserIsNotFound() {
    String id = UUID.randomUUID().toString();
    assertThatThrownBy(() -> users.getUser(GetUserRequest.newBuilder().setUserId(id).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND))
        .satisfies(e -> assertThat(errorInfo(e).getReason()).isEqualTo("USER_NOT_FOUND"))
        .hasMessageContaining(id);
  }

  @Test
  void malformedUserIdIsInvalidArgumentNotNotFound() {
    assertThatThrownBy(() -> users.getUser(GetUserRequest.newBuilder().setUserId("42").build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(violatedFields(e)).containsExactly("user_id"));
  }

  static Stream<Arguments> invalidUsers() {
    String longName = "n".repeat(201);
    String longEmail = "a".repeat(60) + "@" + "d".repeat(300) + ".com";
    return Stream.of(
        Arguments.of("blank name", create("   ", uniqueEmail()), List.of("user.name")),
        Arguments.of("empty name", create("", uniqueEmail()), List.of("user.name")),
        Arguments.of("201-char name", create(longName, uniqueEmail()), List.of("user.name")),
        Arguments.of("control char in name", create("a\u0000b", uniqueEmail()), List.of("user.name")),
        Arguments.of("empty email", create("Ann", ""), List.of("user.email")),
        Arguments.of("email without @", create("Ann", "ann.example.com"), List.of("user.email")),
        Arguments.of("email without domain dot", create("Ann", "ann@example"), List.of("user.email")),
        Arguments.of("email with space", create("Ann", "ann smith@example.com"), List.of("user.email")),
        Arguments.of("321-char email", create("Ann", longEmail), List.of("user.email")),
        Arguments.of("both bad", create("", "nope"), List.of("user.name", "user.email")),
        Arguments.of(
            "no user at all",
            CreateUserRequest.getDefaultInstance(),
            List.of("user", "user.name", "user.email", "user.password")),
        Arguments.of(
            "no password",
            CreateUserRequest.newBuilder().setUser(User.newBuilder().setName("Ann").setEmail(uniqueEmail())).build(),
            List.of("user.password")),
        Arguments.of(
            "7-char password",
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("Ann").setEmail(uniqueEmail()).setPassword("1234567"))
                .build(),
            List.of("user.password")),
        Arguments.of(
            "129-char password",
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("Ann").setEmail(uniqueEmail()).setPassword("p".repeat(129)))
                .build(),
            List.of("user.password")),
        Arguments.of(
            "request_id not a UUID",
            create("Ann", uniqueEmail()).toBuilder().setRequestId("abc").build(),
            List.of("request_id")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidUsers")
  void invalidInputIsInvalidArgumentNamingEachBadField(
      String why, CreateUserRequest request, List<String> fields) {
    long before = count("SELECT count(*) FROM users");

    assertThatThrownBy(() -> users.createUser(request))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(violatedFields(e)).containsExactlyElementsOf(fields))
        .satisfies(e -> assertThat(errorInfo(e).getDomain()).isEqualTo("user.shopmesh.dev"));
    assertThat(count("SELECT count(*) FROM users")).as("nothing half-written").isEqualTo(before);
  }

  @Test
  void exactly200CharacterNameAnd320CharacterEmailAreAccepted() {
    String name = "é".repeat(200);
    String email = "a".repeat(64) + "@" + "d".repeat(251) + ".com";
    assertThat(email).hasSize(320);
    User created = users.createUser(create(name, email));
    assertThat(created.getName()).isEqualTo(name);
  }

  @Test
  void duplicateEmailIsAlreadyExists() {
    String email = uniqueEmail();
    users.createUser(create("First", email));

    assertThatThrownBy(() -> users.createUser(create("Second", email.toUpperCase())))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.ALREADY_EXISTS))
        .satisfies(e -> assertThat(errorInfo(e).getReason()).isEqualTo("EMAIL_ALREADY_EXISTS"));
  }

  @Test
  void replayingARequestIdReturnsTheSameUser() {
    var request = create("Replay", uniqueEmail()).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    User first = users.createUser(request);
    User second = users.createUser(request);

    assertThat(second).isEqualTo(first);
    assertThat(count("SELECT count(*) FROM users WHERE request_id = '" + request.getRequestId() + "'"))
        .isEqualTo(1);
  }

  @Test
  void reusingARequestIdForAnotherUserIsInvalidArgument() {
    String requestId = UUID.randomUUID().toString();
    users.createUser(create("One", uniqueEmail()).toBuilder().setRequestId(requestId).build());

    assertThatThrownBy(
            () ->
                users.createUser(
                    create("Two", uniqueEmail()).toBuilder().setRequestId(requestId).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(errorInfo(e).getReason()).isEqualTo("REQUEST_ID_REUSED"))
        .satisfies(e -> assertThat(violatedFields(e)).containsExactly("request_id"));
  }

  @Test
  void eightConcurrentCreatesWithOneRequestIdGiveOneUser() throws Exception {
    var request =
        create("Racer", uniqueEmail()).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
    CountDownLatch go = new CountDownLatch(1);
    List<Callable<User>> calls = new ArrayList<>();
    // Eight, not more: each one hashes a password, and Passwords runs only a few hashes at once.
    for (int i = 0; i < 8; i++) {
      calls.add(
          () -> {
            go.await();
            return users.createUser(request);
          });
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<User>> futures = calls.stream().map(pool::submit).toList();
      go.countDown();
      Set<String> ids = new HashSet<>();
      for (Future<User> f : futures) {
        ids.add(f.get().getUserId());
      }
      assertThat(ids).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(count("SELECT count(*) FROM users WHERE email = '" + request.getUser().getEmail() + "'"))
        .isEqualTo(1);
  }

  @Test
  void quotesSqlFragmentsAndUnicodeAreStoredVerbatim() {
    String name = "O'Brien \"Bobby\"; DROP TABLE users; -- 名前 🎉 \\ %_";
    String email = "o'brien+\"x\"" + UUID.randomUUID() + "@exämple.com";
    User created = users.createUser(create(name, email));

    User fetched = users.getUser(GetUserRequest.newBuilder().setUserId(created.getUserId()).build());
    assertThat(fetched.getName()).isEqualTo(name);
    assertThat(fetched.getEmail()).isEqualTo(email);
    assertThat(count("SELECT count(*) FROM users")).isPositive();
  }

  @Test
  void fiveMegabyteRequestIsRejectedAndTheServerCarriesOn() {
    String huge = "x".repeat(5 * 1024 * 1024);
    assertThatThrownBy(() -> users.createUser(create(huge, uniqueEmail())))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));

    assertThat(users.createUser(create("After", uniqueEmail())).getName()).isEqualTo("After");
  }

  @Test
  void pagesWalkEveryUserOnceInCreationOrder() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      created.add(users.createUser(create("Pager " + i, uniqueEmail())).getUserId());
    }

    List<String> seen = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      ListUsersResponse page =
          users.listUsers(ListUsersRequest.newBuilder().setPageSize(3).setPageToken(token).build());
      assertThat(page.getUsersCount()).isLessThanOrEqualTo(3);
      page.getUsersList().forEach(u -> seen.add(u.getUserId()));
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty() && pages < 1000);

    assertThat(seen).doesNotHaveDuplicates().containsSubsequence(created);
    assertThat(seen).isSorted();
    assertThat((long) seen.size()).isEqualTo(count("SELECT count(*) FROM users"));
  }

  @Test
  void pageSizeZeroMeansTheDefault() {
    ListUsersResponse page = users.listUsers(ListUsersRequest.getDefaultInstance());
    assertThat(page.getUsersCount()).isLessThanOrEqualTo(50);
  }

  @Test
  void negativePageSizeIsInvalidArgument() {
    assertThatThrownBy(() -> users.listUsers(ListUsersRequest.newBuilder().setPageSize(-1).build()))
        .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
        .satisfies(e -> assertThat(violatedFields(e)).containsExactly("page_size"));
  }

  @Test
  void garbageAndTamperedPageTokensAreInvalidArgument() {
    users.createUser(create("T1", uniqueEmail()));
    users.createUser(create("T2", uniqueEmail()));
    String token =
        users.listUsers(ListUsersRequest.newBuilder().setPageSize(1).build()).getNextPageToken();
    assertThat(token).isNotEmpty();
    char last = token.charAt(token.length() - 2);
    String tampered =
        token.substring(0, token.length() - 2) + (last == 'A' ? 'B' : 'A') + token.charAt(token.length() - 1);

    for (String bad : List.of("not-a-token", "%%%", tampered, token + "AA")) {
      assertThatThrownBy(
              () -> users.listUsers(ListUsersRequest.newBuilder().setPageToken(bad).build()))
          .as(bad)
          .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
          .satisfies(e -> assertThat(violatedFields(e)).containsExactly("page_token"));
    }
  }

  @Test
  void refusesToStartWithoutADatabaseAndNamesTheVariable() {
    assertThatThrownBy(() -> Main.start(Env.of(Map.of("PORT", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("DATABASE_URL")
        .hasMessageContaining("PGHOST");
  }

  @Test
  void refusesAMalformedPort() {
    assertThatThrownBy(() -> Main.start(Env.of(Map.of("PORT", "http"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("PORT");
  }

  static Status.Code code(Throwable e) {
    return ((StatusRuntimeException) e).getStatus().getCode();
  }

  static ErrorInfo errorInfo(Throwable e) {
    return details(e, ErrorInfo.class);
  }

  static List<String> violatedFields(Throwable e) {
    return details(e, BadRequest.class).getFieldViolationsList().stream()
        .map(BadRequest.FieldViolation::getField)
        .toList();
  }

  static <T extends com.google.protobuf.Message> T details(Throwable e, Class<T> type) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertThat(status).as("google.rpc.Status in trailers").isNotNull();
    return status.getDetailsList().stream()
        .filter(any -> any.is(type))
        .findFirst()
        .map(
            any -> {
              try {
                return any.unpack(type);
              } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
              }
            })
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " in " + status));
  }

  static long count(String sql) {
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
