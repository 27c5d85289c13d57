package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import dev.shopmesh.testkit.TestIdentity;
import dev.shopmesh.testkit.TestUsers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The REST contract of DESIGN.md, black-box over HTTP, as a curl user sees it.
 *
 * <p>With {@code REST_BASE_URL} set, the suite runs against that edge (for example Envoy in
 * compose); add {@code REST_EDGE=envoy} there, since Envoy answers 404 where the Java edge
 * answers 405 and its own (non-backend) errors carry no ErrorInfo. Otherwise the services and
 * the Java edge start in this JVM through their production wiring. Tests that need control
 * over a backend's configuration run only in-JVM.
 */
class RestContractTest {
  @RegisterExtension static final MeshExtension MESH = new MeshExtension();

  private static final String EXTERNAL = System.getenv("REST_BASE_URL");
  private static final boolean ENVOY = "envoy".equalsIgnoreCase(System.getenv("REST_EDGE"));
  private static Rest rest;

  @BeforeAll
  static void connect() {
    // The contract is walked as an admin, signed in for real through the edge, who may read
    // everything; what a customer or an anonymous client may do is AccessControlTest's.
    String base = EXTERNAL != null ? EXTERNAL : MESH.mesh().restBaseUrl();
    String email = EXTERNAL != null ? System.getenv("BOOTSTRAP_ADMIN_EMAIL") : TestIdentity.ADMIN_EMAIL;
    String password = EXTERNAL != null ? System.getenv("BOOTSTRAP_ADMIN_PASSWORD") : TestIdentity.ADMIN_PASSWORD;
    rest = new Rest(base).withToken(TestUsers.adminRest(base, email, password).token());
  }

  private static String uniqueEmail() {
    return "u" + UUID.randomUUID() + "@example.com";
  }

  private static String userJson(String name, String email) {
    JsonObject user = new JsonObject();
    user.addProperty("name", name);
    user.addProperty("email", email);
    user.addProperty("password", TestIdentity.PASSWORD);
    return user.toString();
  }

  private static JsonObject createUser() {
    Rest.Reply r = rest.post("/v1/users", userJson("Ada Lovelace", uniqueEmail()));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  /** Asserts an error in the google.rpc.Status JSON shape, and returns it. */
  private static JsonObject assertStatus(Rest.Reply r, int http, int code) {
    assertThat(r.status()).as(r.toString()).isEqualTo(http);
    assertThat(r.contentType()).startsWith("application/json");
    JsonObject status = r.json();
    assertThat(status.get("code").getAsInt()).as(r.toString()).isEqualTo(code);
    assertThat(status.has("message")).isTrue();
    assertThat(status.get("details").isJsonArray()).isTrue();
    return status;
  }

  /** An error the edge itself produced: it says so in an ErrorInfo (Java edge only). */
  private static void assertEdgeReason(Rest.Reply r, String reason) {
    if (ENVOY) {
      return;
    }
    JsonObject info = r.detail("google.rpc.ErrorInfo");
    assertThat(info).as(r.toString()).isNotNull();
    assertThat(info.get("reason").getAsString()).isEqualTo(reason);
    assertThat(info.get("domain").getAsString()).isEqualTo("edge.shopmesh.dev");
  }

  private static List<String> violatedFields(Rest.Reply r) {
    JsonObject badRequest = r.detail("google.rpc.BadRequest");
    assertThat(badRequest).as(r.toString()).isNotNull();
    List<String> fields = new ArrayList<>();
    for (JsonElement v : badRequest.getAsJsonArray("fieldViolations")) {
      fields.add(v.getAsJsonObject().get("field").getAsString());
    }
    return fields;
  }

  // --- UserService routes -------------------------------------------------------------------

  @Test
  void createUserReturnsTheUserAsProto3Json() {
    String email = uniqueEmail();
    Rest.Reply r = rest.post("/v1/users", userJson("Ada Lovelace", email));

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo("application/json");
    JsonObject user = r.json();
    assertThat(user.keySet()).containsExactly("userId", "name", "email", "createTime", "updateTime", "roles");
    assertThat(user.get("userId").getAsString()).isNotBlank();
    assertThat(user.get("name").getAsString()).isEqualTo("Ada Lovelace");
    assertThat(user.get("email").getAsString()).isEqualTo(email);
    assertThat(user.get("createTime").getAsString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
  }

  @Test
  void getUserReturnsTheCreatedUser() {
    JsonObject created = createUser();

    Rest.Reply r = rest.get("/v1/users/" + created.get("userId").getAsString());

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json()).isEqualTo(created);
  }

  @Test
  void listUsersPagesWithPageSizeAndPageToken() {
    createUser();
    createUser();

    Rest.Reply first = rest.get("/v1/users?pageSize=1");
    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    JsonArray users = first.json().getAsJsonArray("users");
    String token = first.json().get("nextPageToken").getAsString();
    assertThat(users).hasSize(1);
    assertThat(token).isNotEmpty();

    // snake_case names bind the same fields as lowerCamelCase ones.
    Rest.Reply second = rest.get("/v1/users?page_size=1&page_token=" + token);
    assertThat(second.status()).as(second.toString()).isEqualTo(200);
    assertThat(second.json().getAsJsonArray("users")).hasSize(1);
    assertThat(second.json().getAsJsonArray("users").get(0)).isNotEqualTo(users.get(0));
  }

  @Test
  void theLastPagePrintsAnEmptyNextPageToken() {
    createUser();

    Rest.Reply r = rest.get("/v1/users?pageSize=1000");

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    // A field at its default value still appears (always_print_primitive_fields).
    assertThat(r.json().has("nextPageToken")).isTrue();
    assertThat(r.json().get("nextPageToken").getAsString()).isEmpty();
  }

  @Test
  void aTrailingSlashIsIgnored() {
    Rest.Reply r = rest.get("/v1/users/?pageSize=1");

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().has("users")).isTrue();
  }

  @Test
  void replayingACreateWithTheSameRequestIdReturnsTheSameUser() {
    String requestId = UUID.randomUUID().toString();
    String body = userJson("Grace Hopper", uniqueEmail());

    Rest.Reply first = rest.post("/v1/users?requestId=" + requestId, body);
    Rest.Reply replay = rest.post("/v1/users?request_id=" + requestId, body);

    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    assertThat(replay.status()).as(replay.toString()).isEqualTo(200);
    assertThat(replay.json().get("userId")).isEqualTo(first.json().get("userId"));
  }

  @Test
  void reusingARequestIdForAnotherUserIsInvalidArgument() {
    String requestId = UUID.randomUUID().toString();
    rest.post("/v1/users?requestId=" + requestId, userJson("Grace Hopper", uniqueEmail()));

    Rest.Reply r = rest.post("/v1/users?requestId=" + requestId, userJson("Alan Turing", uniqueEmail()));

    assertStatus(r, 400, 3);
    assertThat(violatedFields(r)).containsExactly("request_id");
  }

  @Test
  void invalidUserIsBadRequestNamingEveryBadField() {
    Rest.Reply r = rest.post("/v1/users", userJson("", "not-an-email"));

    JsonObject status = assertStatus(r, 400, 3);
    assertThat(violatedFields(r)).contains("user.name", "user.email");
    assertThat(r.detail("google.rpc.ErrorInfo").get("domain").getAsString()).isEqualTo("user.shopmesh.dev");
    assertThat(status.get("message").getAsString()).isNotBlank();
  }

  @Test
  void aDuplicateEmailIsConflict() {
    String email = uniqueEmail();
    rest.post("/v1/users", userJson("Ada Lovelace", email));

    Rest.Reply r = rest.post("/v1/users", userJson("Ada Byron", email.toUpperCase()));

    assertStatus(r, 409, 6);
    assertThat(r.detail("google.rpc.ErrorInfo").get("reason").getAsString()).isEqualTo("EMAIL_ALREADY_EXISTS");
  }

  @Test
  void anUnknownUserIsNotFound() {
    String id = UUID.randomUUID().toString();

    Rest.Reply r = rest.get("/v1/users/" + id);

    assertStatus(r, 404, 5);
    JsonObject info = r.detail("google.rpc.ErrorInfo");
    assertThat(info.get("reason").getAsString()).isEqualTo("USER_NOT_FOUND");
    assertThat(info.getAsJsonObject("metadata").get("user_id").getAsString()).isEqualTo(id);
  }

  // --- OrderService and PaymentService routes ------------------------------------------------

  private static String orderJson(String userId, long unitPriceMinor, int quantity) {
    return """
        {"userId": "%s", "currencyCode": "EUR",
         "items": [{"sku": "BOOK-1", "quantity": %d, "unitPriceMinor": "%d"}]}"""
        .formatted(userId, quantity, unitPriceMinor);
  }

  private static JsonObject createOrder(String userId, long unitPriceMinor, int quantity) {
    Rest.Reply r = rest.post("/v1/orders", orderJson(userId, unitPriceMinor, quantity));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    return r.json();
  }

  private static String id(JsonObject o, String field) {
    return o.get(field).getAsString();
  }

  @Test
  void createOrderChargesItAndPrintsMoneyAsStrings() {
    String userId = id(createUser(), "userId");

    JsonObject order = createOrder(userId, 1250, 2);

    assertThat(order.keySet())
        .containsExactly(
            "orderId", "userId", "items", "currencyCode", "totalMinor", "state", "paymentId",
            "failureReason", "createTime", "updateTime");
    assertThat(order.get("state").getAsString()).isEqualTo("CONFIRMED");
    // int64 as a JSON string, as in Envoy's output.
    assertThat(order.get("totalMinor").getAsJsonPrimitive().isString()).isTrue();
    assertThat(order.get("totalMinor").getAsString()).isEqualTo("2500");
    JsonObject item = order.getAsJsonArray("items").get(0).getAsJsonObject();
    assertThat(item.get("unitPriceMinor").getAsJsonPrimitive().isString()).isTrue();
    assertThat(item.get("unitPriceMinor").getAsString()).isEqualTo("1250");
    assertThat(item.get("quantity").getAsInt()).isEqualTo(2);
    assertThat(id(order, "paymentId")).isNotEmpty();
    // A field at its default value is printed.
    assertThat(order.get("failureReason").getAsString()).isEmpty();
  }

  @Test
  void int64FieldsAcceptJsonNumbersToo() {
    String userId = id(createUser(), "userId");
    String body =
        "{\"userId\": \"" + userId + "\", \"currencyCode\": \"EUR\","
            + " \"items\": [{\"sku\": \"PEN\", \"quantity\": 3, \"unitPriceMinor\": 199}]}";

    Rest.Reply r = rest.post("/v1/orders", body);

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().get("totalMinor").getAsString()).isEqualTo("597");
  }

  @Test
  void anOrderOverThePaymentLimitIsDeclined() {
    String userId = id(createUser(), "userId");

    JsonObject order = createOrder(userId, LocalMesh.PAYMENT_LIMIT_MINOR + 1, 1);

    assertThat(order.get("state").getAsString()).isEqualTo("PAYMENT_DECLINED");
    assertThat(order.get("failureReason").getAsString()).isNotEmpty();
    Rest.Reply payments = rest.get("/v1/payments?orderId=" + id(order, "orderId"));
    JsonObject payment = payments.json().getAsJsonArray("payments").get(0).getAsJsonObject();
    assertThat(payment.get("state").getAsString()).isEqualTo("DECLINED");
    assertThat(payment.get("amountMinor").getAsString()).isEqualTo(Long.toString(LocalMesh.PAYMENT_LIMIT_MINOR + 1));
  }

  @Test
  void anOrderForAnUnknownUserIsFailedPrecondition() {
    Rest.Reply r = rest.post("/v1/orders", orderJson(UUID.randomUUID().toString(), 100, 1));

    JsonObject status = assertStatus(r, 400, 9);
    assertThat(status.get("message").getAsString()).containsIgnoringCase("user").containsIgnoringCase("not found");
  }

  @Test
  void anInvalidOrderNamesTheBadFields() {
    String userId = id(createUser(), "userId");

    Rest.Reply r = rest.post("/v1/orders", orderJson(userId, -5, 0));

    assertStatus(r, 400, 3);
    assertThat(violatedFields(r)).contains("order.items[0].quantity", "order.items[0].unit_price_minor");
  }

  @Test
  void getOrderReturnsTheOrder() {
    JsonObject order = createOrder(id(createUser(), "userId"), 500, 1);

    Rest.Reply r = rest.get("/v1/orders/" + id(order, "orderId"));

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json()).isEqualTo(order);
  }

  @Test
  void anUnknownOrderIsNotFound() {
    Rest.Reply r = rest.get("/v1/orders/" + UUID.randomUUID());

    assertStatus(r, 404, 5);
  }

  @Test
  void listOrdersFiltersByUserUnderEitherParameterName() {
    String userId = id(createUser(), "userId");
    JsonObject first = createOrder(userId, 100, 1);
    JsonObject second = createOrder(userId, 200, 1);
    createOrder(id(createUser(), "userId"), 300, 1);

    for (String query : List.of("userId=", "user_id=")) {
      Rest.Reply r = rest.get("/v1/orders?" + query + userId);
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      List<String> ids = new ArrayList<>();
      r.json().getAsJsonArray("orders").forEach(o -> ids.add(id(o.getAsJsonObject(), "orderId")));
      assertThat(ids).containsExactly(id(first, "orderId"), id(second, "orderId"));
      assertThat(r.json().get("nextPageToken").getAsString()).isEmpty();
    }
  }

  @Test
  void replayingCreateOrderWithTheSameRequestIdReturnsTheSameOrder() {
    String userId = id(createUser(), "userId");
    String requestId = UUID.randomUUID().toString();
    String body = orderJson(userId, 700, 1);

    Rest.Reply first = rest.post("/v1/orders?requestId=" + requestId, body);
    Rest.Reply replay = rest.post("/v1/orders?request_id=" + requestId, body);

    assertThat(first.status()).as(first.toString()).isEqualTo(200);
    assertThat(replay.status()).as(replay.toString()).isEqualTo(200);
    assertThat(id(replay.json(), "orderId")).isEqualTo(id(first.json(), "orderId"));
    Rest.Reply payments = rest.get("/v1/payments?order_id=" + id(first.json(), "orderId"));
    assertThat(payments.json().getAsJsonArray("payments")).hasSize(1);
  }

  @Test
  void cancellingAConfirmedOrderRefundsItsPayment() {
    JsonObject order = createOrder(id(createUser(), "userId"), 4200, 1);

    Rest.Reply r = rest.post("/v1/orders/" + id(order, "orderId") + ":cancel", "{}");

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().get("state").getAsString()).isEqualTo("CANCELLED");
    Rest.Reply payment = rest.get("/v1/payments/" + id(order, "paymentId"));
    assertThat(payment.status()).as(payment.toString()).isEqualTo(200);
    assertThat(payment.json().get("state").getAsString()).isEqualTo("REFUNDED");
    assertThat(payment.json().get("amountMinor").getAsString()).isEqualTo("4200");
    assertThat(payment.json().get("declineReason").getAsString()).isEmpty();
  }

  @Test
  void cancelTakesAnEmptyBody() {
    JsonObject order = createOrder(id(createUser(), "userId"), 300, 1);

    Rest.Reply r = rest.post("/v1/orders/" + id(order, "orderId") + ":cancel", "");

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().get("state").getAsString()).isEqualTo("CANCELLED");
  }

  @Test
  void cancelRejectsUnknownBodyFields() {
    JsonObject order = createOrder(id(createUser(), "userId"), 300, 1);

    Rest.Reply r = rest.post("/v1/orders/" + id(order, "orderId") + ":cancel", "{\"reason\": \"changed my mind\"}");

    assertStatus(r, 400, 3);
  }

  @Test
  void cancelWithAnotherOrderIdInTheBodyIs400AndCancelsNeither() {
    String userId = id(createUser(), "userId");
    JsonObject target = createOrder(userId, 300, 1);
    JsonObject other = createOrder(userId, 400, 1);

    Rest.Reply r = rest.post(
        "/v1/orders/" + id(target, "orderId") + ":cancel", "{\"orderId\": \"" + id(other, "orderId") + "\"}");

    assertStatus(r, 400, 3);
    for (JsonObject order : List.of(target, other)) {
      Rest.Reply now = rest.get("/v1/orders/" + id(order, "orderId"));
      assertThat(now.json().get("state").getAsString()).as(now.toString()).isEqualTo("CONFIRMED");
    }
  }

  @Test
  void cancelWithTheSameOrderIdInTheBodyCancelsIt() {
    JsonObject order = createOrder(id(createUser(), "userId"), 300, 1);

    Rest.Reply r = rest.post(
        "/v1/orders/" + id(order, "orderId") + ":cancel", "{\"order_id\": \"" + id(order, "orderId") + "\"}");

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().get("state").getAsString()).isEqualTo("CANCELLED");
  }

  @Test
  void cancelIsPostOnly() {
    Rest.Reply r = rest.get("/v1/orders/" + UUID.randomUUID() + ":cancel");

    if (ENVOY) {
      assertStatus(r, 404, 5);
      return;
    }
    assertStatus(r, 405, 12);
    assertThat(r.headers().firstValue("allow")).hasValue("POST");
  }

  @Test
  void getPaymentShowsTheCapturedCharge() {
    JsonObject order = createOrder(id(createUser(), "userId"), 999, 3);

    Rest.Reply r = rest.get("/v1/payments/" + id(order, "paymentId"));

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    JsonObject payment = r.json();
    assertThat(payment.get("state").getAsString()).isEqualTo("CAPTURED");
    assertThat(payment.get("amountMinor").getAsString()).isEqualTo("2997");
    assertThat(payment.get("orderId").getAsString()).isEqualTo(id(order, "orderId"));
    assertThat(payment.get("currencyCode").getAsString()).isEqualTo("EUR");
  }

  @Test
  void anUnknownPaymentIsNotFound() {
    Rest.Reply r = rest.get("/v1/payments/" + UUID.randomUUID());

    assertStatus(r, 404, 5);
  }

  @Test
  void internalPaymentMethodsHaveNoRoute() {
    Rest.Reply charge = rest.post("/shopmesh.payment.v1.PaymentService/Charge", "{}");
    Rest.Reply refund = rest.post("/v1/payments:refund", "{}");

    assertStatus(charge, 404, 5);
    assertStatus(refund, 404, 5);
  }

  // --- Path variables -----------------------------------------------------------------------

  @Test
  void aPercentEncodedPathVariableIsDecoded() {
    JsonObject created = createUser();
    String id = created.get("userId").getAsString();
    StringBuilder encoded = new StringBuilder();
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      encoded.append('%').append(String.format("%02X", b));
    }

    Rest.Reply r = rest.get("/v1/users/" + encoded);

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().get("userId").getAsString()).isEqualTo(id);
  }

  @Test
  void anEncodedSlashStaysInsideItsSegment() {
    // %2F decodes to "/" inside user_id: the route is GetUser, and user-svc rejects the id.
    Rest.Reply r = rest.get("/v1/users/a%2Fb");

    assertStatus(r, 400, 3);
    assertThat(violatedFields(r)).containsExactly("user_id");
  }

  @Test
  void aSlashSplitsSegments() {
    Rest.Reply r = rest.get("/v1/users/a/b");

    assertStatus(r, 404, 5);
    assertEdgeReason(r, "ROUTE_NOT_FOUND");
  }

  // --- The edge's own errors ----------------------------------------------------------------

  @Test
  void anUnknownQueryParameterIsBadRequest() {
    Rest.Reply r = rest.get("/v1/users?pageSize=1&colour=blue");

    assertStatus(r, 400, 3);
    assertEdgeReason(r, "UNKNOWN_QUERY_PARAMETER");
    if (!ENVOY) {
      assertThat(violatedFields(r)).containsExactly("colour");
    }
  }

  @Test
  void aQueryValueOfTheWrongTypeIsBadRequest() {
    Rest.Reply r = rest.get("/v1/users?pageSize=many");

    assertStatus(r, 400, 3);
  }

  @Test
  void anUnknownPathIsNotFound() {
    Rest.Reply r = rest.get("/v2/nothing/here");

    assertStatus(r, 404, 5);
    assertEdgeReason(r, "ROUTE_NOT_FOUND");
  }

  @Test
  void aWrongMethodOnAKnownPathIsMethodNotAllowed() {
    Rest.Reply r = rest.send("DELETE", "/v1/users/" + UUID.randomUUID(), null, Map.of());

    if (ENVOY) {
      assertStatus(r, 404, 5);
      return;
    }
    assertStatus(r, 405, 12);
    assertThat(r.headers().firstValue("allow")).hasValue("GET");
    assertEdgeReason(r, "METHOD_NOT_ALLOWED");
  }

  @Test
  void malformedJsonIsBadRequest() {
    Rest.Reply r = rest.post("/v1/users", "{\"name\": \"Ada\", ");

    assertStatus(r, 400, 3);
  }

  @Test
  void lenientJsonIsBadRequest() {
    Rest.Reply r = rest.post("/v1/users", "{name: 'Ada', email: 'ada@example.com'}");

    assertStatus(r, 400, 3);
  }

  @Test
  void anUnknownJsonFieldIsBadRequest() {
    Rest.Reply r = rest.post("/v1/users", "{\"name\": \"Ada\", \"email\": \"" + uniqueEmail() + "\", \"age\": 36}");

    assertStatus(r, 400, 3);
    assertThat(r.json().get("message").getAsString()).contains("age");
  }

  @Test
  void aJsonValueOfTheWrongTypeIsBadRequest() {
    Rest.Reply r = rest.post("/v1/users", "{\"name\": [\"Ada\"], \"email\": \"" + uniqueEmail() + "\"}");

    assertStatus(r, 400, 3);
  }

  @Test
  void aBodyOverTheLimitIsTooLarge() {
    String huge = "{\"name\": \"" + "a".repeat(2 << 20) + "\"}";

    Rest.Reply r = rest.post("/v1/users", huge);

    if (ENVOY) {
      assertThat(r.status()).isEqualTo(413);
      return;
    }
    assertStatus(r, 413, 8);
    assertEdgeReason(r, "REQUEST_BODY_TOO_LARGE");
  }

  @Test
  void aShortGrpcTimeoutIsGatewayTimeout() {
    Rest.Reply r = rest.send("GET", "/v1/users?pageSize=1", null, Map.of("grpc-timeout", "1n"));

    assertStatus(r, 504, 4);
  }

  @Test
  void aMessageOverTheBackendsLimitIsTooManyRequests() {
    assumeTrue(EXTERNAL == null, "needs user-svc's message limit, set in-JVM");
    String name = "a".repeat(LocalMesh.USER_SVC_MAX_MESSAGE_BYTES + 1);

    Rest.Reply r = rest.post("/v1/users", userJson(name, uniqueEmail()));

    assertStatus(r, 429, 8);
  }

  // --- HTTP -------------------------------------------------------------------------------------

  @Test
  void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
    URI base = URI.create(rest.base());
    String unknown = "/v1/users/" + UUID.randomUUID();
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      OutputStream out = socket.getOutputStream();
      String host = "Host: " + base.getHost() + "\r\n" + "Authorization: " + rest.authorization() + "\r\n";
      out.write(
          ("GET " + unknown + " HTTP/1.1\r\n" + host + "\r\n"
                  + "GET /v1/users?pageSize=1 HTTP/1.1\r\n" + host + "\r\n"
                  + "GET /v2/nothing HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      var in = new java.io.BufferedInputStream(socket.getInputStream());
      List<Integer> statuses = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        statuses.add(readResponse(in));
      }
      // user-svc answers GetUser and ListUsers in whatever order; the edge keeps request order.
      assertThat(statuses).containsExactly(404, 200, 404);
      assertThat(in.read()).as("the connection closes after Connection: close").isEqualTo(-1);
    }
  }

  /** Reads one HTTP/1.1 response with a content-length, returning its status code. */
  private static int readResponse(java.io.InputStream in) throws java.io.IOException {
    String statusLine = readLine(in);
    int length = 0;
    for (String line; !(line = readLine(in)).isEmpty(); ) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return Integer.parseInt(statusLine.substring(9, 12));
  }

  private static String readLine(java.io.InputStream in) throws java.io.IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new java.io.EOFException("connection closed after: " + line);
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
    return line.toString();
  }

  @Test
  void theBackendsTraceIdComesBackAsAHeader() {
    assumeTrue(!ENVOY, "the Java edge turns the x-trace-id trailer into a header");
    String traceId = "0af7651916cd43dd8448eb211c80319c";

    Rest.Reply r =
        rest.send("GET", "/v1/users?pageSize=1", null, Map.of("traceparent", "00-" + traceId + "-b7ad6b7169203331-01"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().firstValue("x-trace-id")).hasValue(traceId);
  }

  @Test
  void healthzIsServingJson() {
    assumeTrue(!ENVOY, "the Java edge's own route");
    Rest.Reply r = rest.get("/healthz");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.contentType()).isEqualTo("application/json");
    assertThat(r.json().get("status").getAsString()).isEqualTo("SERVING");
  }

  @Test
  void usersCreatedConcurrentlyAllGetDistinctIds() throws Exception {
    Set<String> ids = new HashSet<>();
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      List<java.util.concurrent.Future<JsonObject>> futures = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        futures.add(pool.submit(RestContractTest::createUser));
      }
      for (var f : futures) {
        ids.add(f.get().get("userId").getAsString());
      }
    }
    assertThat(ids).hasSize(20);
  }
}
