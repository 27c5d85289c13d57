package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.shopmesh.access.v1.Level;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * envoy.yaml's identity and access, against the contracts ({@link EnvoyAccess}): clean on the
 * real file, and each check shown to fail on a broken copy of it.
 */
class EnvoyAccessTest {
  /** A broken copy of envoy.yaml: what is changed, and what the checks must then say. */
  record Breakage(String name, UnaryOperator<String> edit, String expected) {}

  /** {@code text} with the first {@code from} replaced. */
  static String once(String text, String from, String to) {
    return onceAfter(text, "", from, to);
  }

  /** {@code text} with the first {@code from} after {@code anchor} replaced. */
  static String onceAfter(String text, String anchor, String from, String to) {
    int at = text.indexOf(from, Math.max(0, text.indexOf(anchor)));
    if (at < 0 || text.indexOf(anchor) < 0) {
      throw new AssertionError("envoy.yaml should contain '" + from + "' after '" + anchor + "'");
    }
    return text.substring(0, at) + to + text.substring(at + from.length());
  }

  /** {@code text} without what lies from {@code start} up to {@code end}. */
  static String cut(String text, String start, String end) {
    int from = text.indexOf(start);
    int to = text.indexOf(end, from);
    if (from < 0 || to < 0) {
      throw new AssertionError("envoy.yaml should contain '" + start + "' and then '" + end + "'");
    }
    return text.substring(0, from) + text.substring(to);
  }

  static List<Breakage> breakages() {
    return List.of(
        new Breakage("x-user-id let through",
            t -> once(t, "                - remove: x-user-id\n", ""),
            "a client-sent x-user-id is not stripped"),
        new Breakage("sign-up needs a token",
            t -> once(t, "              - match: { path: /shopmesh.user.v1.UserService/CreateUser }\n", ""),
            "UserService/CreateUser is PUBLIC in its contract but jwt_authn requires a token"),
        new Breakage("GetUser exempt",
            t -> once(t, "              - match: { prefix: / }\n", "              - match: { path: /shopmesh.user.v1.UserService/GetUser }\n              - match: { prefix: / }\n"),
            "UserService/GetUser is SIGNED_IN in its contract but jwt_authn lets it through"),
        new Breakage("ListUsers (ADMIN) exempt",
            t -> once(t, "              - match: { prefix: / }\n", "              - match: { path: /shopmesh.user.v1.UserService/ListUsers }\n              - match: { prefix: / }\n"),
            "UserService/ListUsers is ADMIN in its contract but jwt_authn lets it through"),
        new Breakage("a catch-all without a requirement",
            t -> once(t, "              - match: { prefix: / }\n                requires: { provider_name: shopmesh }\n", "              - match: { prefix: / }\n"),
            "a jwt_authn rule without a requirement matches the prefix /"),
        new Breakage("health needs a token",
            t -> once(t, "              - match: { path: /grpc.health.v1.Health/Check }\n", ""),
            "/grpc.health.v1.Health/Check needs no token"),
        new Breakage("forward: false",
            t -> once(t, "                  forward: true\n", "                  forward: false\n"),
            "forward is false"),
        new Breakage("clock skew 60 s",
            t -> once(t, "clock_skew_seconds: 30", "clock_skew_seconds: 60"),
            "clock skew is 60 s"),
        new Breakage("another audience",
            t -> once(t, "audiences: [shopmesh]", "audiences: [shopmesh-api]"),
            "audiences are [shopmesh-api]"),
        new Breakage("another issuer",
            t -> once(t, "issuer: https://shopmesh.local", "issuer: https://shopmesh.example"),
            "issuer is https://shopmesh.example"),
        new Breakage("the JWKS cluster on the gRPC port",
            t -> once(t, "socket_address: { address: user-svc-headless, port_value: 8081 }", "socket_address: { address: user-svc-headless, port_value: 50051 }"),
            "points at user-svc-headless:50051"),
        new Breakage("the JWKS cluster missing",
            t -> once(t, "cluster: user_svc_jwks", "cluster: user_svc_keys"),
            "the JWKS cluster user_svc_keys is not defined"),
        new Breakage("rbac forgets Refund",
            t -> once(t, "                    - url_path: { path: { exact: /shopmesh.payment.v1.PaymentService/Refund } }\n", ""),
            "rbac does not deny the INTERNAL /shopmesh.payment.v1.PaymentService/Refund"),
        new Breakage("rbac denies a public method",
            t -> once(t, "exact: /shopmesh.payment.v1.PaymentService/Refund }", "exact: /shopmesh.payment.v1.PaymentService/GetPayment }"),
            "rbac denies /shopmesh.payment.v1.PaymentService/GetPayment"),
        new Breakage("rbac allowing instead of denying",
            t -> once(t, "action: DENY", "action: ALLOW"),
            "not DENY"),
        new Breakage("rbac before jwt_authn on :9090",
            t -> once(t, "          - *jwt_authn\n          - *deny_internal\n", "          - *deny_internal\n          - *jwt_authn\n"),
            ":9090: filters run in the order"),
        new Breakage("identity headers not stripped on :9090",
            t -> once(t, "          - *strip_identity_headers\n", ""),
            ":9090: filters run in the order"),
        new Breakage("jwt_authn before the transcoder on :8080 (it would see REST paths)",
            t -> moveTranscoderAfterJwt(t),
            ":8080: filters run in the order"),
        new Breakage("sign-in limit counted but not enforced (the default)",
            t -> onceAfter(t, "stat_prefix: sign_in\n",
                "                    filter_enforced:\n                      runtime_key: shopmesh.ratelimit.enforced\n                      default_value: { numerator: 100, denominator: HUNDRED }\n", ""),
            "CreateSession's local_ratelimit is enforced for 0/HUNDRED"),
        new Breakage("sign-up limit enabled for half the requests",
            t -> once(t, "filter_enabled: &all_requests\n                      runtime_key: shopmesh.ratelimit.enabled\n                      default_value: { numerator: 100, denominator: HUNDRED }",
                "filter_enabled: &all_requests\n                      runtime_key: shopmesh.ratelimit.enabled\n                      default_value: { numerator: 50, denominator: HUNDRED }"),
            "CreateUser's local_ratelimit is enabled for 50/HUNDRED"),
        new Breakage("no Retry-After on 429",
            t -> once(t, "                    - header: { key: retry-after, value: \"1\" }     # one fill interval\n                      append_action: OVERWRITE_IF_EXISTS_OR_ADD\n", ""),
            "CreateUser's 429 carries no Retry-After"),
        new Breakage("sign-in not rate-limited",
            t -> cut(t, "                # Sign-in: the same cap", "              - &session_refresh"),
            "SessionService/CreateSession has no local_ratelimit of its own"));
  }

  /** :8080's transcoder moved after jwt_authn. */
  private static String moveTranscoderAfterJwt(String t) {
    int start = t.indexOf("          - name: envoy.filters.http.grpc_json_transcoder\n");
    int end = t.indexOf("          - &jwt_authn\n");
    int jwtEnd = t.indexOf("          # Internal methods (contract level INTERNAL");
    String transcoder = t.substring(start, end);
    String jwt = t.substring(end, jwtEnd);
    return t.substring(0, start) + jwt + transcoder + t.substring(jwtEnd);
  }

  @Test
  void envoyYamlKeepsTheContractsAccessRules() {
    assertThat(EnvoyAccess.problems(Envoy.bootstrap())).isEmpty();
  }

  @Test
  void theContractsHaveMethodsOfEveryLevelToCheck() {
    var levels = Descriptors.shopmeshRpcs().stream().map(Descriptors.Rpc::level).distinct().toList();
    assertThat(levels).contains(Level.PUBLIC, Level.SIGNED_IN, Level.ADMIN, Level.INTERNAL);
    assertThat(Descriptors.shopmeshRpcs()).as("a method without a rule is denied: every one has one")
        .allSatisfy(r -> assertThat(r.access()).as(r.toString()).isPresent());
  }

  @TestFactory
  Stream<DynamicTest> eachCheckFailsOnABrokenCopy() {
    String yaml = Repo.read(Envoy.CONFIG);
    return breakages().stream().map(b -> dynamicTest(b.name(), () -> {
      String broken = b.edit().apply(yaml);
      assertThat(broken).as("the edit changes envoy.yaml").isNotEqualTo(yaml);
      List<String> problems = EnvoyAccess.problems(Envoy.parse(broken));
      assertThat(problems).as(b.name()).anySatisfy(p -> assertThat(p).contains(b.expected()));
    }));
  }
}
