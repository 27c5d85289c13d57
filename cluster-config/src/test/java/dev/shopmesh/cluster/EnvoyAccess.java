package dev.shopmesh.cluster;

import dev.shopmesh.access.v1.Level;
import dev.shopmesh.cluster.Descriptors.Rpc;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.type.v3.FractionalPercent;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What envoy.yaml does about identity and access, checked against the contracts' access rules
 * ({@code (shopmesh.access.v1.access)} in the descriptor set): the filter order, the token
 * requirement of every path, the denial of internal methods, the rate limits of sign-up and
 * sign-in, and where the keys come from. {@link #problems} takes any parsed Bootstrap, so the
 * tests show every check failing on a broken copy.
 */
final class EnvoyAccess {
  static final int EDGE_HTTP = 8080;
  static final int EDGE_GRPC = 9090;
  static final String PROVIDER = "shopmesh";
  static final String ISSUER = "https://shopmesh.local";
  static final String AUDIENCE = "shopmesh";
  static final String JWKS_URI = "http://user-svc:8081/.well-known/jwks.json";
  /** DESIGN.md's port of user-svc's JWKS. */
  static final int JWKS_PORT = 8081;

  /** The edges' own documents and health, which need no token (DESIGN.md). */
  static final Set<String> EDGE_DOCUMENTS =
      Set.of(
          "/grpc.health.v1.Health/Check",
          "/grpc.health.v1.Health/Watch",
          "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
          "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
          "/openapi.json");

  /** Sign-up and sign-in: the methods the edges rate-limit. */
  static final Set<String> RATE_LIMITED =
      Set.of("/shopmesh.user.v1.UserService/CreateUser", "/shopmesh.user.v1.SessionService/CreateSession");

  /** Identity headers a client must never get past the edge with (the Java edge drops them too). */
  static final Set<String> IDENTITY_HEADERS =
      Set.of("x-user-id", "x-user-roles", "x-session-id", "x-jwt-payload", "x-forwarded-user",
          "x-forwarded-email", "x-forwarded-client-cert", "x-spiffe-id", "x-shopmesh-user");

  static final List<String> REST_FILTERS =
      List.of(Envoy.HEADER_MUTATION, Envoy.TRANSCODER, Envoy.JWT_AUTHN, Envoy.RBAC_FILTER, Envoy.LOCAL_RATELIMIT, Envoy.ROUTER);
  static final List<String> GRPC_FILTERS =
      List.of(Envoy.HEADER_MUTATION, Envoy.JWT_AUTHN, Envoy.RBAC_FILTER, Envoy.LOCAL_RATELIMIT, Envoy.ROUTER);

  private final Bootstrap bootstrap;
  private final List<String> problems = new ArrayList<>();

  private EnvoyAccess(Bootstrap bootstrap) {
    this.bootstrap = bootstrap;
  }

  static List<String> problems(Bootstrap bootstrap) {
    EnvoyAccess a = new EnvoyAccess(bootstrap);
    for (int port : List.of(EDGE_HTTP, EDGE_GRPC)) {
      a.check(port);
    }
    return a.problems;
  }

  private HttpConnectionManager hcm(int port) {
    Listener l = bootstrap.getStaticResources().getListenersList().stream()
        .filter(x -> Envoy.port(x) == port).findFirst()
        .orElseThrow(() -> new AssertionError("no listener on " + port));
    return Envoy.unpack(l.getFilterChains(0).getFilters(0).getTypedConfig(), HttpConnectionManager.class);
  }

  private void check(int port) {
    HttpConnectionManager hcm = hcm(port);
    String where = ":" + port;
    List<String> order = hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
    List<String> expected = port == EDGE_HTTP ? REST_FILTERS : GRPC_FILTERS;
    if (!order.equals(expected)) {
      problems.add(where + ": filters run in the order " + order + ", not " + expected);
    }
    Optional<io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation> strip =
        Envoy.filter(hcm, Envoy.HEADER_MUTATION, io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation.class);
    Set<String> removed = new HashSet<>();
    strip.ifPresent(h -> h.getMutations().getRequestMutationsList().forEach(m -> {
      if (m.hasRemove()) {
        removed.add(m.getRemove().toLowerCase(java.util.Locale.ROOT));
      }
    }));
    for (String header : new java.util.TreeSet<>(IDENTITY_HEADERS)) {
      if (!removed.contains(header)) {
        problems.add(where + ": a client-sent " + header + " is not stripped");
      }
    }
    Optional<JwtAuthentication> jwt = Envoy.filter(hcm, Envoy.JWT_AUTHN, JwtAuthentication.class);
    if (jwt.isEmpty()) {
      problems.add(where + ": no jwt_authn");
    } else {
      provider(where, jwt.get());
      requirements(where, jwt.get());
    }
    Optional<RBAC> rbac = Envoy.filter(hcm, Envoy.RBAC_FILTER, RBAC.class);
    if (rbac.isEmpty()) {
      problems.add(where + ": no rbac");
    } else {
      denies(where, rbac.get());
    }
    rateLimits(where, hcm);
  }

  private void provider(String where, JwtAuthentication jwt) {
    JwtProvider p = jwt.getProvidersMap().get(PROVIDER);
    if (p == null) {
      problems.add(where + ": jwt_authn has no provider '" + PROVIDER + "' (it has " + jwt.getProvidersMap().keySet() + ")");
      return;
    }
    if (!p.getIssuer().equals(ISSUER)) {
      problems.add(where + ": the provider's issuer is " + p.getIssuer() + ", not " + ISSUER);
    }
    if (!p.getAudiencesList().equals(List.of(AUDIENCE))) {
      problems.add(where + ": the provider's audiences are " + p.getAudiencesList() + ", not [" + AUDIENCE + "]");
    }
    if (!p.getForward()) {
      problems.add(where + ": forward is false: jwt_authn would drop the authorization header the services verify");
    }
    if (p.getClockSkewSeconds() != 30) {
      problems.add(where + ": clock skew is " + p.getClockSkewSeconds() + " s, DESIGN.md says 30 s");
    }
    if (!p.hasRemoteJwks()) {
      problems.add(where + ": the provider has no remote_jwks");
      return;
    }
    var uri = p.getRemoteJwks().getHttpUri();
    if (!uri.getUri().equals(JWKS_URI)) {
      problems.add(where + ": the JWKS is fetched from " + uri.getUri() + ", not " + JWKS_URI);
    }
    Cluster c = bootstrap.getStaticResources().getClustersList().stream()
        .filter(x -> x.getName().equals(uri.getCluster())).findFirst().orElse(null);
    if (c == null) {
      problems.add(where + ": the JWKS cluster " + uri.getCluster() + " is not defined");
      return;
    }
    SocketAddress a = c.getLoadAssignment().getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
    int uriPort = URI.create(uri.getUri()).getPort();
    if (!a.getAddress().equals("user-svc-headless") || a.getPortValue() != JWKS_PORT || uriPort != JWKS_PORT) {
      problems.add(where + ": the JWKS cluster " + c.getName() + " points at " + a.getAddress() + ":" + a.getPortValue()
          + ", not user-svc's JWKS port user-svc-headless:" + JWKS_PORT);
    }
  }

  /** The requirement jwt_authn applies to {@code path}: its first matching rule's, or none. */
  static Optional<JwtRequirement> requirementFor(JwtAuthentication jwt, String path) {
    for (RequirementRule rule : jwt.getRulesList()) {
      if (matches(rule.getMatch(), path)) {
        return rule.hasRequires() ? Optional.of(rule.getRequires()) : Optional.empty();
      }
    }
    return Optional.empty(); // no rule matches: jwt_authn lets the request through
  }

  private static boolean matches(RouteMatch m, String path) {
    if (m.getHeadersCount() > 0 || m.getQueryParametersCount() > 0 || m.hasGrpc()) {
      throw new AssertionError("rule matchers other than path/prefix are not modelled: " + m);
    }
    return switch (m.getPathSpecifierCase()) {
      case PATH -> m.getPath().equals(path);
      case PREFIX -> path.startsWith(m.getPrefix());
      default -> throw new AssertionError("rule matcher not modelled: " + m);
    };
  }

  private void requirements(String where, JwtAuthentication jwt) {
    Set<String> exempt = new HashSet<>(EDGE_DOCUMENTS);
    for (Rpc rpc : Descriptors.shopmeshRpcs()) {
      boolean needsToken = requirementFor(jwt, rpc.path()).map(r -> r.getProviderName().equals(PROVIDER)).orElse(false);
      if (rpc.needsNoToken()) {
        exempt.add(rpc.path());
        if (needsToken) {
          problems.add(where + ": " + rpc + " is PUBLIC in its contract but jwt_authn requires a token");
        }
      } else if (!needsToken) {
        problems.add(where + ": " + rpc + " is " + rpc.level() + " in its contract but jwt_authn lets it through without a token");
      }
    }
    for (String document : EDGE_DOCUMENTS) {
      if (requirementFor(jwt, document).isPresent()) {
        problems.add(where + ": " + document + " needs no token (probes, grpcurl, the OpenAPI document), but jwt_authn requires one");
      }
    }
    // Only those: every rule without a requirement names one exempt path exactly, and what no
    // rule names needs a token (a catch-all), so a method added later is not left open.
    for (RequirementRule rule : jwt.getRulesList()) {
      RouteMatch m = rule.getMatch();
      boolean exactExempt = m.getPathSpecifierCase() == RouteMatch.PathSpecifierCase.PATH && exempt.contains(m.getPath());
      if (!rule.hasRequires() && !exactExempt) {
        problems.add(where + ": a jwt_authn rule without a requirement matches "
            + (m.getPathSpecifierCase() == RouteMatch.PathSpecifierCase.PREFIX ? "the prefix " + m.getPrefix() : m.getPath())
            + ", which is neither one PUBLIC method nor an edge document");
      }
    }
    if (requirementFor(jwt, "/shopmesh.future.v1.NewService/NewMethod").isEmpty()) {
      problems.add(where + ": a path no rule names passes without a token (no catch-all requiring " + PROVIDER + ")");
    }
  }

  private void denies(String where, RBAC rbac) {
    var rules = rbac.getRules();
    if (rules.getAction() != io.envoyproxy.envoy.config.rbac.v3.RBAC.Action.DENY) {
      problems.add(where + ": rbac's action is " + rules.getAction() + ", not DENY");
      return;
    }
    Set<String> denied = new HashSet<>();
    rules.getPoliciesMap().values().forEach(policy -> {
      boolean anyone = policy.getPrincipalsList().stream().anyMatch(p -> p.getAny());
      if (anyone) {
        policy.getPermissionsList().forEach(perm -> {
          if (perm.hasUrlPath() && !perm.getUrlPath().getPath().getExact().isEmpty()) {
            denied.add(perm.getUrlPath().getPath().getExact());
          }
        });
      }
    });
    for (Rpc rpc : Descriptors.internalRpcs()) {
      if (!denied.contains(rpc.path())) {
        problems.add(where + ": rbac does not deny the INTERNAL " + rpc);
      }
    }
    for (String path : denied) {
      if (Descriptors.shopmeshRpcs().stream().noneMatch(r -> r.path().equals(path) && r.level() == Level.INTERNAL)) {
        problems.add(where + ": rbac denies " + path + ", which is not an INTERNAL method");
      }
    }
  }

  private void rateLimits(String where, HttpConnectionManager hcm) {
    for (String path : RATE_LIMITED) {
      Optional<Route> route = Envoy.routeFor(hcm, path);
      var config = route.map(r -> r.getTypedPerFilterConfigMap().get(Envoy.LOCAL_RATELIMIT));
      if (config.isEmpty() || config.get() == null) {
        problems.add(where + ": " + path + " has no local_ratelimit of its own");
        continue;
      }
      LocalRateLimit l = Envoy.unpack(config.get(), LocalRateLimit.class);
      if (!l.hasTokenBucket() || l.getTokenBucket().getMaxTokens() == 0) {
        problems.add(where + ": " + path + "'s local_ratelimit has no token bucket");
      }
      if (!all(l.getFilterEnabled().getDefaultValue())) {
        problems.add(where + ": " + path + "'s local_ratelimit is enabled for " + l.getFilterEnabled().getDefaultValue().getNumerator()
            + "/" + l.getFilterEnabled().getDefaultValue().getDenominator() + " of requests, not all (filter_enabled defaults to 0 %)");
      }
      if (!all(l.getFilterEnforced().getDefaultValue())) {
        problems.add(where + ": " + path + "'s local_ratelimit is enforced for " + l.getFilterEnforced().getDefaultValue().getNumerator()
            + "/" + l.getFilterEnforced().getDefaultValue().getDenominator() + " of requests, not all (filter_enforced defaults to 0 %)");
      }
      boolean retryAfter = l.getResponseHeadersToAddList().stream().anyMatch(h -> h.getHeader().getKey().equalsIgnoreCase("retry-after"));
      boolean xRateLimit = l.getEnableXRatelimitHeadersValue() != 0;
      if (!retryAfter || !xRateLimit) {
        problems.add(where + ": " + path + "'s 429 carries " + (retryAfter ? "" : "no Retry-After ") + (xRateLimit ? "" : "no x-ratelimit-* headers"));
      }
      if (!l.getRateLimitedAsResourceExhausted()) {
        problems.add(where + ": " + path + " rate-limited would be UNAVAILABLE to gRPC callers, who retry it, not RESOURCE_EXHAUSTED");
      }
    }
  }

  private static boolean all(FractionalPercent p) {
    return switch (p.getDenominator()) {
      case HUNDRED -> p.getNumerator() >= 100;
      case TEN_THOUSAND -> p.getNumerator() >= 10_000;
      case MILLION -> p.getNumerator() >= 1_000_000;
      default -> false;
    };
  }
}
