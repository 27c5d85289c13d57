package dev.shopmesh.user;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.rpc.RetryInfo;
import com.nimbusds.jwt.SignedJWT;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestEnv;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestPostgres;
import dev.shopmesh.testkit.TestUsers;
import dev.shopmesh.user.v1.CreateSessionRequest;
import dev.shopmesh.user.v1.CreateUserRequest;
import dev.shopmesh.user.v1.GetUserRequest;
import dev.shopmesh.user.v1.ListUsersRequest;
import dev.shopmesh.user.v1.RefreshSessionRequest;
import dev.shopmesh.user.v1.RevokeSessionRequest;
import dev.shopmesh.user.v1.Session;
import dev.shopmesh.user.v1.SessionServiceGrpc;
import dev.shopmesh.user.v1.User;
import dev.shopmesh.user.v1.UserServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sign-up, sign-in, refresh, sign-out and the JWKS, through a real socket and PostgreSQL. */
class SessionServiceTest {
  private static Main.Running running;
  private static ManagedChannel channel;
  private static DataSource db;
  private static SessionServiceGrpc.SessionServiceBlockingStub sessions;
  private static UserServiceGrpc.UserServiceBlockingStub anonymous;

  @BeforeAll
  static void start() {
    Env env = TestEnv.service("sessions", Map.of());
    running = Main.wire(env);
    db = TestPostgres.dataSource(TestEnv.databaseName(env));
    channel = ManagedChannelBuilder.forAddress("localhost", running.server().port()).usePlaintext().build();
    sessions = SessionServiceGrpc.newBlockingStub(channel);
    anonymous = UserServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    running.server().stop();
  }

  private static StatusRuntimeException thrown(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }

  private static com.google.rpc.Status details(StatusRuntimeException e) {
    return StatusProto.fromThrowable(e);
  }

  @Test
  void aSignedUpUserSignsInAndReadsThemselfWithTheToken() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);

    User me = TestIdentity.as(anonymous, ada.token()).getUser(GetUserRequest.newBuilder().setUserId(ada.userId()).build());

    assertThat(me.getEmail()).isEqualTo(ada.email());
    assertThat(me.getRolesList()).containsExactly("customer");
    assertThat(me.getPassword()).as("never returned").isEmpty();
    assertThat(ada.session().getRolesList()).containsExactly("customer");
    assertThat(ada.session().getUserId()).isEqualTo(ada.userId());
  }

  @Test
  void theAccessTokenIsAnEs256AtJwtWithTheAgreedClaimsAndNoPersonalData() throws Exception {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    SignedJWT jwt = SignedJWT.parse(ada.token());

    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    assertThat(jwt.getHeader().getType().getType()).isEqualTo("at+jwt");
    assertThat(jwt.getHeader().getKeyID()).isEqualTo(TestIdentity.shared().signingKey().getKeyID());
    var claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo(TestIdentity.ISSUER);
    assertThat(claims.getAudience()).containsExactly("shopmesh");
    assertThat(claims.getSubject()).isEqualTo(ada.userId());
    assertThat(claims.getStringListClaim("roles")).containsExactly("customer");
    assertThat(claims.getStringClaim("sid")).isEqualTo(ada.session().getSessionId());
    assertThat(claims.getJWTID()).isNotBlank();
    assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isEqualTo(600_000);
    assertThat(claims.getNotBeforeTime()).isEqualTo(claims.getIssueTime());
    assertThat(jwt.getPayload().toString()).doesNotContain(ada.email()).doesNotContain("Test Customer");
    assertThat(jwt.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(TestIdentity.shared().signingKey().toECPublicKey())))
        .isTrue();
  }

  @Test
  void theStoredHashIsArgon2idAtOwaspParametersAndNotThePassword() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    String hash = one("SELECT password_hash FROM credentials WHERE user_id = '" + ada.userId() + "'");
    assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").doesNotContain(ada.password());
  }

  @Test
  void anAddressWrittenAnotherWaySignsInToTheSameUser() {
    String local = "\u00e9mile" + java.util.UUID.randomUUID().toString().substring(0, 8);
    User created =
        anonymous.createUser(
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("Emile").setEmail(local + "@example.org").setPassword(TestIdentity.PASSWORD))
                .build());
    // Upper case, and the accent as e + U+0301: the same normal form, so the same user.
    String another = "E\u0301" + local.substring(1).toUpperCase(java.util.Locale.ROOT) + "@Example.ORG";

    assertThat(TestUsers.signIn(channel, another, TestIdentity.PASSWORD).getUserId()).isEqualTo(created.getUserId());
  }

  @Test
  void signUpAskingForTheAdminRoleMakesACustomer() {
    String email = TestUsers.uniqueEmail();
    User created =
        anonymous.createUser(
            CreateUserRequest.newBuilder()
                .setUser(User.newBuilder().setName("Mallory").setEmail(email).setPassword(TestIdentity.PASSWORD).addRoles("admin"))
                .build());
    assertThat(created.getRolesList()).containsExactly("customer");
    assertThat(TestUsers.signIn(channel, email, TestIdentity.PASSWORD).getRolesList()).containsExactly("customer");
  }

  @Test
  void aWrongPasswordAndAnUnknownEmailAnswerAlike() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    StatusRuntimeException wrong = thrown(() -> TestUsers.signIn(channel, ada.email(), "not the password"));
    StatusRuntimeException unknown = thrown(() -> TestUsers.signIn(channel, TestUsers.uniqueEmail(), "not the password"));

    assertThat(wrong.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(details(wrong)).isEqualTo(details(unknown));
    assertThat(wrong.getStatus().getDescription()).isEqualTo(unknown.getStatus().getDescription());
  }

  @Test
  void repeatedFailuresOfOneAccountAreThrottledWithARetryDelayEvenWithTheRightPassword() throws Exception {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    for (int i = 0; i < SignInThrottle.ACCOUNT_LIMIT; i++) {
      assertThat(thrown(() -> TestUsers.signIn(channel, ada.email(), "wrong password " + UUID.randomUUID())).getStatus().getCode())
          .isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    StatusRuntimeException e = thrown(() -> TestUsers.signIn(channel, ada.email(), ada.password()));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    RetryInfo retry =
        details(e).getDetailsList().stream().filter(a -> a.is(RetryInfo.class)).findFirst().orElseThrow().unpack(RetryInfo.class);
    assertThat(retry.getRetryDelay().getSeconds()).isBetween(1L, SignInThrottle.WINDOW.toSeconds());
    // Another account from the same address still signs in.
    TestUsers.SignedIn bob = TestUsers.signUp(channel);
    assertThat(TestUsers.signIn(channel, bob.email(), bob.password()).getAccessToken()).isNotEmpty();
  }

  @Test
  void failuresFromOneAddressAreThrottledAcrossAccounts() {
    var fromMallory =
        sessions.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(forwardedFor("203.0.113." + (int) (Math.random() * 250))));
    for (int i = 0; i < SignInThrottle.ADDRESS_LIMIT; i++) {
      thrown(() -> fromMallory.createSession(
          CreateSessionRequest.newBuilder().setEmail(TestUsers.uniqueEmail()).setPassword("guess-" + UUID.randomUUID()).build()));
    }
    StatusRuntimeException e = thrown(() -> fromMallory.createSession(
        CreateSessionRequest.newBuilder().setEmail(TestUsers.uniqueEmail()).setPassword("guess").build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  private static Metadata forwardedFor(String address) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("x-forwarded-for", Metadata.ASCII_STRING_MARSHALLER), address);
    return md;
  }

  @Test
  void aRefreshRotatesTheRefreshTokenAndReusingTheSpentOneEndsTheSession() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    String first = ada.session().getRefreshToken();

    Session second = sessions.refreshSession(RefreshSessionRequest.newBuilder().setRefreshToken(first).build());
    assertThat(second.getRefreshToken()).isNotEqualTo(first);
    assertThat(second.getSessionId()).isEqualTo(ada.session().getSessionId());
    assertThat(second.getAccessToken()).isNotEqualTo(ada.token());

    StatusRuntimeException reuse =
        thrown(() -> sessions.refreshSession(RefreshSessionRequest.newBuilder().setRefreshToken(first).build()));
    assertThat(reuse.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    StatusRuntimeException afterReuse =
        thrown(() -> sessions.refreshSession(RefreshSessionRequest.newBuilder().setRefreshToken(second.getRefreshToken()).build()));
    assertThat(afterReuse.getStatus().getCode()).as("the whole session ended").isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(one("SELECT revoke_reason FROM sessions WHERE session_id = '" + ada.session().getSessionId() + "'"))
        .contains("used again");
  }

  @Test
  void refreshTokensAreStoredOnlyAsHashes() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    String stored =
        one("SELECT encode(token_hash, 'hex') FROM refresh_tokens WHERE session_id = '" + ada.session().getSessionId() + "'");
    assertThat(stored).hasSize(64).isEqualTo(java.util.HexFormat.of().formatHex(SessionApi.hash(ada.session().getRefreshToken())));
  }

  @Test
  void afterSignOutRefreshFails() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    TestIdentity.as(sessions, ada.token()).revokeSession(RevokeSessionRequest.getDefaultInstance());

    StatusRuntimeException e =
        thrown(() -> sessions.refreshSession(RefreshSessionRequest.newBuilder().setRefreshToken(ada.session().getRefreshToken()).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void garbageRefreshTokensAreUnauthenticatedNotInternal() {
    for (String bad : new String[] {"x", "A".repeat(43), "é".repeat(43), "A".repeat(5000)}) {
      assertThat(thrown(() -> sessions.refreshSession(RefreshSessionRequest.newBuilder().setRefreshToken(bad).build())).getStatus().getCode())
          .as(bad.substring(0, Math.min(bad.length(), 10)))
          .isEqualTo(Status.Code.UNAUTHENTICATED);
    }
  }

  @Test
  void signOutNeedsAToken() {
    assertThat(thrown(() -> sessions.revokeSession(RevokeSessionRequest.getDefaultInstance())).getStatus().getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void aCustomerSeesOnlyThemselfAndAnotherIdReadsExactlyLikeAMissingOne() {
    TestUsers.SignedIn ada = TestUsers.signUp(channel);
    TestUsers.SignedIn bob = TestUsers.signUp(channel);
    var asAda = TestIdentity.as(anonymous, ada.token());

    StatusRuntimeException other = thrown(() -> asAda.getUser(GetUserRequest.newBuilder().setUserId(bob.userId()).build()));
    String missingId = UUID.randomUUID().toString();
    StatusRuntimeException missing = thrown(() -> asAda.getUser(GetUserRequest.newBuilder().setUserId(missingId).build()));

    assertThat(other.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(details(other).toString().replace(bob.userId(), "ID")).isEqualTo(details(missing).toString().replace(missingId, "ID"));
    assertThat(thrown(() -> asAda.listUsers(ListUsersRequest.getDefaultInstance())).getStatus().getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(thrown(() -> anonymous.getUser(GetUserRequest.newBuilder().setUserId(ada.userId()).build())).getStatus().getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void theBootstrapAdminSignsInAndListsUsers() {
    TestUsers.SignedIn admin = TestUsers.admin(channel);
    assertThat(admin.session().getRolesList()).containsExactlyInAnyOrder("customer", "admin");
    var users = TestIdentity.as(anonymous, admin.token()).listUsers(ListUsersRequest.newBuilder().setPageSize(1000).build());
    assertThat(users.getUsersList()).anySatisfy(u -> assertThat(u.getEmail()).isEqualTo(TestIdentity.ADMIN_EMAIL));
  }

  @Test
  void theJwksIsServedWithEveryPublicKeyAndNoPrivatePart() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(running.jwksUrl())).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonObject jwks = JsonParser.parseString(r.body()).getAsJsonObject();
    JsonObject key = jwks.getAsJsonArray("keys").get(0).getAsJsonObject();
    assertThat(key.get("kid").getAsString()).isEqualTo(TestIdentity.shared().signingKey().getKeyID());
    assertThat(key.get("kty").getAsString()).isEqualTo("EC");
    assertThat(key.get("crv").getAsString()).isEqualTo("P-256");
    assertThat(key.has("d")).as("the private part").isFalse();
    HttpResponse<String> other =
        HttpClient.newHttpClient()
            .send(HttpRequest.newBuilder(URI.create(running.jwksUrl().replace("jwks.json", "secrets"))).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(404);
  }

  private static String one(String sql) {
    try (Connection c = db.getConnection();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      assertThat(rs.next()).as(sql).isTrue();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
