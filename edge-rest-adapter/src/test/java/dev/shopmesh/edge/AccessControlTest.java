package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.shopmesh.access.v1.Level;
import dev.shopmesh.platform.auth.AccessRules;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestUsers;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trust boundary, black box, through the Java edge (REST on 8080, gRPC on 9090) and the
 * services' own ports: every method taken from the descriptors, tokens that must fail, and who
 * may read or change whose data.
 */
class AccessControlTest {
  @RegisterExtension static final MeshExtension MESH = new MeshExtension();

  private static final Contracts CONTRACTS = Contracts.load(Optional.empty());
  private static Rest anonymous;
  private static Rest admin;
  private static TestUsers.SignedIn ada;
  private static TestUsers.SignedIn bob;
  private static ManagedChannel edgeGrpc;
  private static String adasOrder;
  private static String adasPayment;

  @BeforeAll
  static void start() {
    String base = MESH.mesh().restBaseUrl();
    anonymous = new Rest(base);
    admin = new Rest(base).withToken(TestUsers.adminRest(base, TestIdentity.ADMIN_EMAIL, TestIdentity.ADMIN_PASSWORD).token());
    ada = TestUsers.signUpRest(base);
    bob = TestUsers.signUpRest(base);
    Rest.Reply order = asAda().post("/v1/orders", order(ada.userId()));
    assertThat(order.status()).as(order.toString()).isEqualTo(200);
    adasOrder = order.json().get("orderId").getAsString();
    adasPayment = order.json().get("paymentId").getAsString();
    edgeGrpc = ManagedChannelBuilder.forAddress("localhost", MESH.mesh().grpcPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() {
    edgeGrpc.shutdownNow();
  }

  private static Rest asAda() {
    return anonymous.withToken(ada.token());
  }

  private static Rest asBob() {
    return anonymous.withToken(bob.token());
  }

  private static String order(String userId) {
    return "{\"userId\": \"" + userId + "\", \"currencyCode\": \"EUR\", \"items\": [{\"sku\": \"a\", \"quantity\": 1, \"unitPriceMinor\": \"990\"}]}";
  }

  private static String reason(Rest.Reply r) {
    JsonObject info = r.detail("google.rpc.ErrorInfo");
    return info == null ? "" : info.get("reason").getAsString();
  }

  // --- every method, from the descriptors ------------------------------------------------

  static Stream<Arguments> routes() {
    return new RouteTable(CONTRACTS.publicMethods()).routes().stream()
        .map(r -> Arguments.of(r.httpMethod() + " " + r.template(), r));
  }

  /** A request for the route with every path variable a fresh id. */
  private static Rest.Reply send(Rest rest, RouteTable.Route route) {
    String path = route.template().toString().replaceAll("\\{[^}]+}", UUID.randomUUID().toString());
    return rest.send(route.httpMethod(), path, route.httpMethod().equals("GET") ? null : "{}", Map.of());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void withoutATokenEveryRouteButThePublicOnesIs401WithABearerChallenge(String name, RouteTable.Route route) {
    Level level = AccessRules.ruleOf(route.method().method()).getLevel();
    Rest.Reply r = send(anonymous, route);

    if (level == Level.PUBLIC) {
      assertThat(r.status()).as(r.toString()).isNotEqualTo(401).isNotEqualTo(403);
    } else {
      assertThat(r.status()).as(r.toString()).isEqualTo(401);
      assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"shopmesh\"");
      assertThat(r.json().get("code").getAsInt()).isEqualTo(Status.Code.UNAUTHENTICATED.value());
    }
  }

  static Stream<Arguments> methods() {
    return CONTRACTS.publicMethods().stream().map(m -> Arguments.of(m.fullName(), m));
  }

  private static Status.Code grpcCall(ManagedChannel channel, Contracts.PublicMethod m, Map<String, String> headers) {
    var md =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(m.fullName())
            .setRequestMarshaller(GrpcProxy.BYTES)
            .setResponseMarshaller(GrpcProxy.BYTES)
            .build();
    io.grpc.Metadata extra = new io.grpc.Metadata();
    headers.forEach((k, v) -> extra.put(io.grpc.Metadata.Key.of(k, io.grpc.Metadata.ASCII_STRING_MARSHALLER), v));
    var intercepted = io.grpc.ClientInterceptors.intercept(channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(extra));
    try {
      ClientCalls.blockingUnaryCall(intercepted, md, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[0]);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void withoutATokenEveryNonPublicMethodIsUnauthenticatedOnTheGrpcEdgeAndOnTheServiceItself(
      String name, Contracts.PublicMethod m) {
    Level level = AccessRules.ruleOf(m.method()).getLevel();
    ManagedChannel direct =
        ManagedChannelBuilder.forAddress("localhost", MESH.mesh().servicePort(m.method().getService().getFullName()))
            .usePlaintext()
            .build();
    try {
      for (ManagedChannel channel : List.of(edgeGrpc, direct)) {
        Status.Code code = grpcCall(channel, m, Map.of());
        if (level == Level.PUBLIC) {
          assertThat(code).isNotIn(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED);
        } else {
          assertThat(code).as(name + (channel == direct ? " on the service" : " on the edge")).isEqualTo(Status.Code.UNAUTHENTICATED);
        }
      }
    } finally {
      direct.shutdownNow();
    }
  }

  @Test
  void everyMethodOfEveryServiceHasAnAccessRule() {
    for (var file : CONTRACTS.files().values()) {
      if (!file.getPackage().startsWith("shopmesh.")) {
        continue;
      }
      for (var service : file.getServices()) {
        for (var method : service.getMethods()) {
          assertThat(AccessRules.ruleOf(method).getLevel())
              .as(method.getFullName())
              .isNotEqualTo(Level.LEVEL_UNSPECIFIED);
        }
      }
    }
  }

  @Test
  void internalMethodsAreNotRoutedByTheEdge() {
    assertThat(CONTRACTS.publicMethods())
        .allSatisfy(m -> assertThat(AccessRules.ruleOf(m.method()).getLevel()).isNotEqualTo(Level.INTERNAL));
  }

  // --- tokens that must fail --------------------------------------------------------------

  private static final TestIdentity ID = TestIdentity.shared();

  static Stream<Arguments> badTokens() {
    UUID user = UUID.randomUUID();
    Instant now = Instant.now();
    String good = ID.token(user, "customer");
    String[] parts = good.split("\\.");
    String tamperedPayload =
        Base64.getUrlEncoder().withoutPadding().encodeToString(
            new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"customer\"", "\"admin\"").getBytes());
    String hs256;
    try {
      SignedJWT jwt = new SignedJWT(
          new JWSHeader.Builder(JWSAlgorithm.HS256).type(new com.nimbusds.jose.JOSEObjectType("at+jwt")).keyID(ID.signingKey().getKeyID()).build(),
          SignedJWT.parse(good).getJWTClaimsSet());
      // The "secret" is the public key: the classic alg-confusion attack.
      byte[] secret = ID.signingKey().toPublicJWK().toJSONString().getBytes();
      jwt.sign(new MACSigner(java.util.Arrays.copyOf(secret, Math.max(32, secret.length))));
      hs256 = jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    String none;
    try {
      none = new PlainJWT(SignedJWT.parse(good).getJWTClaimsSet()).serialize();
    } catch (java.text.ParseException e) {
      throw new IllegalStateException(e);
    }
    Function<java.util.function.Consumer<JWTClaimsSet.Builder>, String> claims = c -> ID.token(b -> { b.subject(user.toString()); c.accept(b); }, h -> {});
    return Stream.of(
        Arguments.of("expired beyond the skew", claims.apply(b -> b.expirationTime(Date.from(now.minusSeconds(31 + 60))))),
        Arguments.of("nbf in the future", claims.apply(b -> b.notBeforeTime(Date.from(now.plusSeconds(120))))),
        Arguments.of("the wrong iss", claims.apply(b -> b.issuer("https://evil.example"))),
        Arguments.of("the wrong aud", claims.apply(b -> b.audience("someone-else"))),
        Arguments.of("no sub", ID.token(b -> b.subject(null), h -> {})),
        Arguments.of("alg none", none),
        Arguments.of("HS256 signed with the public key", hs256),
        Arguments.of("an unknown kid", ID.token(TestIdentity.newKey(), b -> {}, h -> {})),
        Arguments.of("the right kid signed with another key",
            ID.token(TestIdentity.newKey(), b -> {}, h -> h.keyID(ID.signingKey().getKeyID()))),
        Arguments.of("a tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2]),
        Arguments.of("typ JWT", ID.token(b -> {}, h -> h.type(com.nimbusds.jose.JOSEObjectType.JWT))),
        Arguments.of("no typ", ID.token(b -> {}, h -> h.type(null))),
        Arguments.of("longer than 8 KiB", ID.token(b -> b.claim("pad", "x".repeat(9000)), h -> {})),
        Arguments.of("not a JWT at all", "hello"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void aBadTokenIs401InvalidTokenOnRestAndUnauthenticatedOnGrpc(String why, String token) {
    Rest.Reply r = anonymous.withToken(token).get("/v1/orders");

    assertThat(r.status()).as(why + ": " + r).isEqualTo(401);
    assertThat(r.headers().firstValue("www-authenticate")).hasValue("Bearer realm=\"shopmesh\", error=\"invalid_token\"");
    var listOrders = CONTRACTS.publicMethods().stream().filter(m -> m.fullName().endsWith("/ListOrders")).findFirst().orElseThrow();
    assertThat(grpcCall(edgeGrpc, listOrders, Map.of("authorization", "Bearer " + token))).isEqualTo(Status.Code.UNAUTHENTICATED);
    ManagedChannel direct = ManagedChannelBuilder.forAddress("localhost", MESH.mesh().servicePort("shopmesh.order.v1.OrderService")).usePlaintext().build();
    try {
      assertThat(grpcCall(direct, listOrders, Map.of("authorization", "Bearer " + token))).as("order-svc itself").isEqualTo(Status.Code.UNAUTHENTICATED);
    } finally {
      direct.shutdownNow();
    }
  }

  @Test
  void aTokenInTheQueryStringIsNotATokenAndCannotPass() {
    Rest.Reply r = anonymous.get("/v1/orders?access_token=" + ada.token());
    assertThat(r.status()).as(r.toString()).isIn(400, 401);
  }

  @Test
  void withinTheSkewAJustExpiredTokenStillWorks() {
    String token = ID.token(b -> b.subject(ada.userId()).expirationTime(Date.from(Instant.now().minusSeconds(10))), h -> {});
    assertThat(anonymous.withToken(token).get("/v1/users/" + ada.userId()).status()).isEqualTo(200);
  }

  // --- who may read and change whose data (BOLA) ---------------------------------------------

  record Resource(String name, Function<String, String> path, String ownId, boolean write) {}

  static Stream<Arguments> resources() {
    return Stream.of(
        Arguments.of(new Resource("GetUser", id -> "/v1/users/" + id, null, false)),
        Arguments.of(new Resource("GetOrder", id -> "/v1/orders/" + id, "order", false)),
        Arguments.of(new Resource("CancelOrder", id -> "/v1/orders/" + id + ":cancel", "order", true)),
        Arguments.of(new Resource("GetPayment", id -> "/v1/payments/" + id, "payment", false)));
  }

  private static String own(Resource r) {
    return r.ownId() == null ? ada.userId() : r.ownId().equals("order") ? adasOrder : adasPayment;
  }

  private static Rest.Reply call(Rest rest, Resource r, String id) {
    return r.write() ? rest.post(r.path().apply(id), "{}") : rest.get(r.path().apply(id));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resources")
  void anotherCustomersResourceAnswersByteForByteLikeAMissingOne(Resource r) {
    String theirs = own(r);
    String missing = UUID.randomUUID().toString();
    Rest.Reply other = call(asBob(), r, theirs);
    Rest.Reply none = call(asBob(), r, missing);

    assertThat(other.status()).as(other.toString()).isEqualTo(403);
    assertThat(none.status()).as(none.toString()).isEqualTo(403);
    assertThat(other.text().replace(theirs, "ID")).isEqualTo(none.text().replace(missing, "ID"));
    assertThat(call(anonymous, r, theirs).status()).as("anonymous").isEqualTo(401);
    assertThat(call(anonymous, r, missing).status()).as("anonymous, missing").isEqualTo(401);
    assertThat(call(admin, r, missing).status()).as("an admin is told it is missing").isEqualTo(404);
  }

  @Test
  void theOwnerAndAnAdminReadTheOwnersData() {
    for (Rest who : List.of(asAda(), admin)) {
      assertThat(who.get("/v1/users/" + ada.userId()).status()).isEqualTo(200);
      assertThat(who.get("/v1/orders/" + adasOrder).status()).isEqualTo(200);
      assertThat(who.get("/v1/payments/" + adasPayment).status()).isEqualTo(200);
      assertThat(who.get("/v1/payments?orderId=" + adasOrder).json().getAsJsonArray("payments")).hasSize(1);
    }
  }

  @Test
  void listsShowACustomerOnlyTheirOwnAndAnAdminEveryone() {
    Rest erin = anonymous.withToken(TestUsers.signUpRest(MESH.mesh().restBaseUrl()).token());
    assertThat(erin.get("/v1/orders").json().getAsJsonArray("orders")).isEmpty();
    assertThat(erin.get("/v1/orders?userId=" + ada.userId()).json().getAsJsonArray("orders")).isEmpty();
    assertThat(erin.get("/v1/payments?orderId=" + adasOrder).json().getAsJsonArray("payments")).isEmpty();
    assertThat(erin.get("/v1/payments").json().getAsJsonArray("payments")).isEmpty();
    assertThat(asAda().get("/v1/orders").json().getAsJsonArray("orders")).isNotEmpty()
        .allSatisfy(o -> assertThat(o.getAsJsonObject().get("userId").getAsString()).isEqualTo(ada.userId()));
    assertThat(admin.get("/v1/orders?userId=" + ada.userId()).json().getAsJsonArray("orders")).isNotEmpty();
  }

  @Test
  void aRefusedCancelChangesNothing() {
    Rest.Reply refused = asBob().post("/v1/orders/" + adasOrder + ":cancel", "{}");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(asAda().get("/v1/orders/" + adasOrder).json().get("state").getAsString()).isEqualTo("CONFIRMED");
    assertThat(asAda().get("/v1/payments/" + adasPayment).json().get("state").getAsString()).as("no Refund").isEqualTo("CAPTURED");
  }

  @Test
  void aCustomerCannotPlaceAnOrderForAnotherUserButForThemselfWithOrWithoutTheirId() {
    Rest.Reply forAda = asBob().post("/v1/orders", order(ada.userId()));
    assertThat(forAda.status()).as(forAda.toString()).isEqualTo(403);
    assertThat(reason(forAda)).isEqualTo("ORDER_FOR_ANOTHER_USER");
    Rest.Reply noId = asBob().post("/v1/orders", order("").replace("\"userId\": \"\", ", ""));
    assertThat(noId.status()).as(noId.toString()).isEqualTo(200);
    assertThat(noId.json().get("userId").getAsString()).isEqualTo(bob.userId());
  }

  @Test
  void listingUsersIsForAdminsOnly() {
    assertThat(asAda().get("/v1/users").status()).isEqualTo(403);
    assertThat(admin.get("/v1/users").status()).isEqualTo(200);
    var listUsers = CONTRACTS.publicMethods().stream().filter(m -> m.fullName().endsWith("/ListUsers")).findFirst().orElseThrow();
    assertThat(grpcCall(edgeGrpc, listUsers, Map.of("authorization", "Bearer " + ada.token()))).isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void identityHeadersAClientSendsAreIgnored() {
    String adminId = admin.get("/v1/users?pageSize=1000").json().getAsJsonArray("users").asList().stream()
        .map(u -> u.getAsJsonObject())
        .filter(u -> u.get("email").getAsString().equals(TestIdentity.ADMIN_EMAIL))
        .findFirst().orElseThrow().get("userId").getAsString();
    Map<String, String> spoofed = new HashMap<>();
    spoofed.put("x-user-id", adminId);
    spoofed.put("x-shopmesh-roles", "admin");
    spoofed.put("x-forwarded-user", adminId);
    spoofed.put("x-jwt-payload", "{\"sub\":\"" + adminId + "\",\"roles\":[\"admin\"]}");
    assertThat(asBob().send("GET", "/v1/users", null, spoofed).status()).isEqualTo(403);
    assertThat(anonymous.send("GET", "/v1/users", null, spoofed).status()).isEqualTo(401);
    assertThat(grpcCall(edgeGrpc,
        CONTRACTS.publicMethods().stream().filter(m -> m.fullName().endsWith("/ListUsers")).findFirst().orElseThrow(),
        spoofed)).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  // --- sessions through the edge ---------------------------------------------------------

  @Test
  void aWrongPasswordAndAnUnknownEmailAnswerAlikeThroughTheEdge() {
    Rest.Reply wrong = anonymous.post("/v1/sessions", "{\"email\": \"" + ada.email() + "\", \"password\": \"nope-nope\"}");
    Rest.Reply unknown = anonymous.post("/v1/sessions", "{\"email\": \"" + TestUsers.uniqueEmail() + "\", \"password\": \"nope-nope\"}");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.text()).isEqualTo(unknown.text());
  }

  @Test
  void repeatedFailedSignInsReach429WithRetryAfter() {
    TestUsers.SignedIn carol = TestUsers.signUpRest(MESH.mesh().restBaseUrl());
    Rest.Reply last = null;
    for (int i = 0; i < 10 && (last == null || last.status() != 429); i++) {
      last = anonymous.post("/v1/sessions", "{\"email\": \"" + carol.email() + "\", \"password\": \"wrong-" + i + "\"}");
    }
    assertThat(last.status()).as(last.toString()).isEqualTo(429);
    assertThat(Long.parseLong(last.headers().firstValue("retry-after").orElseThrow())).isPositive();
  }

  @Test
  void signOutEndsTheRefreshTokenThroughTheEdge() {
    TestUsers.SignedIn dave = TestUsers.signUpRest(MESH.mesh().restBaseUrl());
    assertThat(anonymous.withToken(dave.token()).post("/v1/sessions:revoke", "{}").status()).isEqualTo(200);
    Rest.Reply refresh = anonymous.post("/v1/sessions:refresh", "{\"refreshToken\": \"" + dave.session().getRefreshToken() + "\"}");
    assertThat(refresh.status()).isEqualTo(401);
  }

  // --- edges of their own: rate limit, keys -------------------------------------------------

  private static Edge edge(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>(LocalMesh.edgeEnv());
    env.put("USER_SVC_TARGET", "localhost:" + MESH.mesh().servicePort("shopmesh.user.v1.UserService"));
    env.put("ORDER_SVC_TARGET", "localhost:" + MESH.mesh().servicePort("shopmesh.order.v1.OrderService"));
    env.put("PAYMENT_SVC_TARGET", "localhost:" + MESH.mesh().servicePort("shopmesh.payment.v1.PaymentService"));
    env.putAll(extra);
    return Main.start(Env.of(env));
  }

  @Test
  void signUpsAndSignInsFromOneAddressAreRateLimitedWith429AndRetryAfter() {
    Edge limited = edge(Map.of("EDGE_SIGN_IN_RATE", "3"));
    try {
      Rest rest = new Rest("http://localhost:" + limited.httpPort());
      List<Integer> statuses = new ArrayList<>();
      Rest.Reply last = null;
      for (int i = 0; i < 5; i++) {
        last = rest.post("/v1/sessions", "{\"email\": \"" + TestUsers.uniqueEmail() + "\", \"password\": \"whatever-1\"}");
        statuses.add(last.status());
      }
      assertThat(statuses).startsWith(401, 401, 401).endsWith(429);
      assertThat(last.headers().firstValue("retry-after")).isPresent();
      assertThat(reason(last)).isEqualTo(SignInLimiter.REASON);
      // Other routes are not limited.
      assertThat(rest.withToken(ada.token()).get("/v1/users/" + ada.userId()).status()).isEqualTo(200);
    } finally {
      limited.stop();
    }
  }

  @Test
  void whenTheJwksCannotBeFetchedNothingVerifies() {
    try (TestIdentity down = TestIdentity.create()) {
      down.jwksAvailable(false);
      Edge edge = edge(Map.of("JWKS_URL", down.jwksUrl()));
      try {
        Rest.Reply r = new Rest("http://localhost:" + edge.httpPort()).withToken(down.token(UUID.randomUUID(), "customer")).get("/v1/orders");
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(reason(r)).isEqualTo("KEYS_UNAVAILABLE");
      } finally {
        edge.stop();
      }
    }
  }

  /** Whether the edge let the request through: its own refusals carry the edge's domain. */
  private static boolean passedTheEdge(Rest.Reply r) {
    JsonObject info = r.detail("google.rpc.ErrorInfo");
    return info == null || !info.get("domain").getAsString().equals(EdgeError.DOMAIN);
  }

  @Test
  void aRotatedInKeyVerifiesAtOnceAndTheOldKeysTokensStayValid() {
    try (TestIdentity rotating = TestIdentity.create()) {
      Edge edge = edge(Map.of("JWKS_URL", rotating.jwksUrl()));
      try {
        Rest rest = new Rest("http://localhost:" + edge.httpPort());
        // The edge verifies against `rotating`; the backends trust the shared identity and
        // refuse these tokens themselves, so what is read here is whether the edge passed them.
        String old = rotating.token(UUID.randomUUID(), "customer");
        assertThat(passedTheEdge(rest.withToken(old).get("/v1/orders"))).isTrue();

        var oldKey = rotating.signingKey();
        rotating.addKey(true); // the new key signs from now on; the old one stays published
        String fresh = rotating.token(UUID.randomUUID(), "customer");
        assertThat(passedTheEdge(rest.withToken(fresh).get("/v1/orders"))).as("new kid: the set is fetched again").isTrue();
        assertThat(rotating.jwks().getKeys()).hasSize(2);
        String byTheOldKey = rotating.token(oldKey, b -> {}, h -> {});
        assertThat(passedTheEdge(rest.withToken(byTheOldKey).get("/v1/orders"))).as("a new token of the old key").isTrue();
        // A key the set does not have: fetching again (rate limited: twice in 30 s) finds nothing.
        assertThat(passedTheEdge(rest.withToken(ID.token(UUID.randomUUID(), "customer")).get("/v1/orders")))
            .as("a key the edge's JWKS does not have").isFalse();
      } finally {
        edge.stop();
      }
    }
  }

  @Test
  void signUpAskingForAdminMakesACustomer() {
    String email = TestUsers.uniqueEmail();
    Rest.Reply r = anonymous.post("/v1/users",
        "{\"name\": \"Mallory\", \"email\": \"" + email + "\", \"password\": \"" + TestIdentity.PASSWORD + "\", \"roles\": [\"admin\"]}");
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getAsJsonArray("roles").asList()).extracting(e -> e.getAsString()).containsExactly("customer");
  }
}
