package dev.shopmesh.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.HttpRule;
import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.shopmesh.edge.Contracts.PublicMethod;
import dev.shopmesh.edge.PathTemplate.Binding;
import dev.shopmesh.edge.RouteTable.Found;
import dev.shopmesh.edge.RouteTable.MethodNotAllowed;
import dev.shopmesh.edge.RouteTable.NotFound;
import dev.shopmesh.user.v1.UserServiceGrpc;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Path templates and route lookup, matched the way Envoy's transcoder matches them. */
class PathTemplateTest {
  private static List<String> parts(String path) {
    return Arrays.asList(path.substring(1).split("/", -1));
  }

  private static Map<String, String> match(String template, String path) {
    Optional<List<Binding>> bindings = PathTemplate.parse(template).match(parts(path));
    assertThat(bindings).as(template + " should match " + path).isPresent();
    return bindings.get().stream().collect(Collectors.toMap(b -> String.join(".", b.fieldPath()), Binding::value));
  }

  private static boolean matches(String template, String path) {
    return PathTemplate.parse(template).match(parts(path)).isPresent();
  }

  @Test
  void aVariableBindsOneSegment() {
    assertThat(match("/v1/users/{user_id}", "/v1/users/42")).isEqualTo(Map.of("user_id", "42"));
    assertThat(matches("/v1/users/{user_id}", "/v1/users/42/orders")).isFalse();
    assertThat(matches("/v1/users/{user_id}", "/v1/users")).isFalse();
  }

  @Test
  void aVariableCanNameANestedField() {
    assertThat(match("/v1/books/{book.id}", "/v1/books/7")).isEqualTo(Map.of("book.id", "7"));
  }

  @Test
  void aVariableWithASubTemplateBindsSeveralSegments() {
    assertThat(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/1/books/2"))
        .isEqualTo(Map.of("name", "shelves/1/books/2"));
    assertThat(matches("/v1/{name=shelves/*/books/*}", "/v1/shelves/1/notes/2")).isFalse();
  }

  @Test
  void doubleStarBindsTheRestOfThePathOrNothing() {
    assertThat(match("/v1/files/{path=**}", "/v1/files/a/b/c.txt")).isEqualTo(Map.of("path", "a/b/c.txt"));
    assertThat(match("/v1/files/{path=**}", "/v1/files")).isEqualTo(Map.of("path", ""));
    assertThat(match("/v1/{path=**}/meta", "/v1/a/b/meta")).isEqualTo(Map.of("path", "a/b"));
  }

  @Test
  void onlyLiteralsMayFollowDoubleStar() {
    assertThatThrownBy(() -> PathTemplate.parse("/v1/**/{x}")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PathTemplate.parse("/v1/**/*")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aCustomVerbIsPartOfTheTemplate() {
    PathTemplate t = PathTemplate.parse("/v1/orders/{order_id}:cancel");
    assertThat(t.verb()).hasValue("cancel");
    assertThat(t.match(parts("/v1/orders/o-1"))).isPresent();
  }

  @Test
  void malformedTemplatesAreRejected() {
    for (String bad : List.of("v1/users", "/v1/{user", "/v1/{1x}", "/v1//users", "/v1/users/", "/v1/{a={b}}")) {
      assertThatThrownBy(() -> PathTemplate.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "%30%31%32, 012",
    "a%2Fb, a/b",
    "a%20b, a b",
    "caf%C3%A9, café",
    "100%25, 100%",
    "50%, 50%",
    "%zz, %zz",
    "a+b, a+b",
  })
  void aSingleSegmentVariableIsFullyPercentDecoded(String raw, String decoded) {
    assertThat(match("/v1/users/{user_id}", "/v1/users/" + raw)).isEqualTo(Map.of("user_id", decoded));
  }

  @Test
  void aMultiSegmentVariableKeepsReservedCharactersEncoded() {
    // Envoy's default url_unescape_spec, ALL_CHARACTERS_EXCEPT_RESERVED.
    assertThat(match("/v1/files/{path=**}", "/v1/files/%2f%23/%20%2523"))
        .isEqualTo(Map.of("path", "%2f%23/ %23"));
  }

  @Test
  void literalsMatchTheRawSegment() {
    assertThat(matches("/v1/users", "/v1/%75sers")).isFalse();
  }

  // --- RouteTable over the real contracts ---------------------------------------------------

  private static final Contracts CONTRACTS = Contracts.load(Optional.empty());
  private static final RouteTable ROUTES = new RouteTable(CONTRACTS.publicMethods());

  private static String method(RouteTable.Lookup lookup) {
    assertThat(lookup).isInstanceOf(Found.class);
    return ((Found) lookup).route().method().fullName();
  }

  @Test
  void everyRuleOfTheContractsIsARoute() {
    assertThat(ROUTES.routes().stream().map(r -> r.httpMethod() + " " + r.template()))
        .containsExactlyInAnyOrder(
            "POST /v1/users",
            "GET /v1/users/{user_id}",
            "GET /v1/users",
            "POST /v1/orders",
            "GET /v1/orders/{order_id}",
            "GET /v1/orders",
            "POST /v1/orders/{order_id}:cancel",
            "GET /v1/payments/{payment_id}",
            "GET /v1/payments",
            "POST /v1/sessions",
            "POST /v1/sessions:refresh",
            "POST /v1/sessions:revoke");
  }

  @Test
  void methodsWithoutAnHttpRuleAreNotPublic() {
    assertThat(CONTRACTS.publicMethods().stream().map(PublicMethod::fullName))
        .doesNotContain("shopmesh.payment.v1.PaymentService/Charge", "shopmesh.payment.v1.PaymentService/Refund")
        .contains("shopmesh.payment.v1.PaymentService/GetPayment");
  }

  @Test
  void getAndListAreIdempotentCreatesAndCancelAreNot() {
    Map<String, Boolean> idempotent =
        CONTRACTS.publicMethods().stream().collect(Collectors.toMap(PublicMethod::fullName, PublicMethod::idempotent));
    assertThat(idempotent)
        .containsEntry("shopmesh.user.v1.UserService/GetUser", true)
        .containsEntry("shopmesh.order.v1.OrderService/ListOrders", true)
        .containsEntry("shopmesh.user.v1.UserService/CreateUser", false)
        .containsEntry("shopmesh.order.v1.OrderService/CreateOrder", false)
        .containsEntry("shopmesh.order.v1.OrderService/CancelOrder", false);
  }

  @Test
  void aCustomVerbSelectsItsMethod() {
    RouteTable.Lookup lookup = ROUTES.lookup("POST", "/v1/orders/o-1:cancel");

    assertThat(method(lookup)).isEqualTo("shopmesh.order.v1.OrderService/CancelOrder");
    assertThat(((Found) lookup).bindings()).containsExactly(new Binding(List.of("order_id"), "o-1"));
  }

  @Test
  void anUnknownVerbStaysPartOfTheSegment() {
    RouteTable.Lookup lookup = ROUTES.lookup("GET", "/v1/users/a:b");

    assertThat(method(lookup)).isEqualTo("shopmesh.user.v1.UserService/GetUser");
    assertThat(((Found) lookup).bindings()).containsExactly(new Binding(List.of("user_id"), "a:b"));
  }

  @Test
  void aKnownVerbOnAPathWithoutItIsNotFound() {
    assertThat(ROUTES.lookup("POST", "/v1/users:cancel")).isInstanceOf(NotFound.class);
    assertThat(ROUTES.lookup("GET", "/v1/users/u-1:cancel")).isInstanceOf(NotFound.class);
  }

  @Test
  void theSamePathUnderAnotherMethodIsMethodNotAllowed() {
    assertThat(ROUTES.lookup("DELETE", "/v1/users/u-1")).isEqualTo(new MethodNotAllowed(java.util.Set.of("GET")));
    assertThat(ROUTES.lookup("PUT", "/v1/users")).isEqualTo(new MethodNotAllowed(java.util.Set.of("GET", "POST")));
    assertThat(ROUTES.lookup("GET", "/v1/orders/o-1:cancel")).isEqualTo(new MethodNotAllowed(java.util.Set.of("POST")));
  }

  @Test
  void trailingSlashesAreIgnored() {
    assertThat(method(ROUTES.lookup("GET", "/v1/users/"))).isEqualTo("shopmesh.user.v1.UserService/ListUsers");
    assertThat(method(ROUTES.lookup("GET", "/v1/users/u-1//"))).isEqualTo("shopmesh.user.v1.UserService/GetUser");
  }

  @Test
  void aLiteralBeatsAVariableWhereBothMatch() {
    MethodDescriptor get = CONTRACTS.publicMethods().stream()
        .filter(m -> m.fullName().equals(UserServiceGrpc.getGetUserMethod().getFullMethodName()))
        .findFirst().orElseThrow().method();
    RouteTable table =
        new RouteTable(
            List.of(
                new PublicMethod(get, List.of(HttpRule.newBuilder().setGet("/v1/users/{user_id}").build())),
                new PublicMethod(get, List.of(HttpRule.newBuilder().setGet("/v1/users/me").build())),
                new PublicMethod(get, List.of(HttpRule.newBuilder().setGet("/v1/{path=**}").build()))));

    assertThat(((Found) table.lookup("GET", "/v1/users/me")).route().template().toString()).isEqualTo("/v1/users/me");
    assertThat(((Found) table.lookup("GET", "/v1/users/42")).route().template().toString()).isEqualTo("/v1/users/{user_id}");
    assertThat(((Found) table.lookup("GET", "/v1/users/42/x")).route().template().toString()).isEqualTo("/v1/{path=**}");
  }

  @Test
  void twoMethodsOnOneRouteAreRejected() {
    PublicMethod a = CONTRACTS.publicMethods().get(0);
    PublicMethod b = CONTRACTS.publicMethods().get(1);
    HttpRule rule = HttpRule.newBuilder().setGet("/v1/same").build();

    assertThatThrownBy(() -> new RouteTable(List.of(new PublicMethod(a.method(), List.of(rule)), new PublicMethod(b.method(), List.of(rule)))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GET /v1/same");
  }
}
