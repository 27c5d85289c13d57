package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.util.Durations;
import dev.shopmesh.cluster.Descriptors.Rpc;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.platform.grpc.ServerSettings;
import io.envoyproxy.envoy.config.accesslog.v3.AccessLogFilter;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.FilterConfig;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.LocalReplyConfig;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.ResponseMapper;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * envoy/envoy.yaml against Envoy's own API (the parse) and against the contracts: the
 * descriptor set decides which RPCs are public, and so what the edge listeners route.
 */
class EnvoyConfigTest {
  static final int EDGE_HTTP = 8080;
  static final int EDGE_GRPC = 9090;
  static final String JAEGER_CLUSTER = "jaeger_otlp";

  /** retry_on conditions of Envoy 1.34's router (x-envoy-retry-on and x-envoy-retry-grpc-on). */
  static final Set<String> RETRY_CONDITIONS =
      Set.of(
          "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
          "envoy-ratelimited", "retriable-4xx", "refused-stream", "retriable-status-codes",
          "retriable-headers", "http3-post-connect-failure",
          "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable");

  /** Conditions under which the request provably never reached a service. */
  static final Set<String> NOT_YET_SENT =
      Set.of("connect-failure", "refused-stream", "reset-before-request");

  /** DESIGN.md's gRPC -> HTTP table (the one Envoy, grpc-gateway and Armeria share). */
  static final Map<Integer, Integer> GRPC_TO_HTTP =
      Map.ofEntries(
          Map.entry(1, 499), Map.entry(2, 500), Map.entry(3, 400), Map.entry(4, 504),
          Map.entry(5, 404), Map.entry(6, 409), Map.entry(7, 403), Map.entry(8, 429),
          Map.entry(9, 400), Map.entry(10, 409), Map.entry(11, 400), Map.entry(12, 501),
          Map.entry(13, 500), Map.entry(14, 503), Map.entry(15, 500), Map.entry(16, 401));

  /**
   * Local replies whose HTTP status no gRPC code maps to, and the code their JSON carries:
   * 408 is Envoy's stream timeout while the request body is still arriving (a deadline); 413 is
   * what the services call an over-limit message (RESOURCE_EXHAUSTED); 502 is UNAVAILABLE, as
   * in Envoy's own HTTP -> gRPC mapping.
   */
  static final Map<Integer, Integer> NO_GRPC_CODE_FOR = Map.of(408, 4, 413, 8, 502, 14);

  @Test
  void parsesIntoEnvoysBootstrapWithEveryTypedConfigResolved() throws Exception {
    var bootstrap = Envoy.bootstrap();

    assertThat(bootstrap.getStaticResources().getListenersCount()).isGreaterThanOrEqualTo(3);
    List<String> unresolved = new ArrayList<>();
    walk(bootstrap, "", (path, field, value) -> {
      if (value instanceof Any any && Envoy.type(any) == null) {
        unresolved.add(path + " " + any.getTypeUrl());
      }
    });
    assertThat(unresolved).isEmpty();
  }

  @Test
  void theParseRejectsWhatEnvoyWouldReject() {
    assertThatThrownBy(() -> Envoy.parse("static_resources: { clusters: [ { name: a, no_such_field: 1 } ] }"))
        .hasMessageContaining("no_such_field");
    assertThatThrownBy(() -> Envoy.parse("admin: { address: { socket_address: { port_value: eighty } } }"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> Envoy.parse(
                "static_resources: { listeners: [ { filter_chains: [ { filters: [ { name: x,"
                    + " typed_config: { '@type': type.googleapis.com/envoy.Unknown } } ] } ] } ] }"))
        .hasMessageContaining("envoy.Unknown");
  }

  @Test
  void theDeprecationCheckSeesADeprecatedField() throws Exception {
    var bootstrap = Envoy.parse(
        "static_resources: { clusters: [ { name: a, dns_refresh_rate: 5s,"
            + " http2_protocol_options: {} } ] }");
    assertThat(deprecatedFields(bootstrap))
        .containsExactlyInAnyOrder(
            ".static_resources.clusters[0].dns_refresh_rate",
            ".static_resources.clusters[0].http2_protocol_options");
  }

  @Test
  void setsNoDeprecatedField() throws Exception {
    assertThat(deprecatedFields(Envoy.bootstrap())).isEmpty();
  }

  /** Every set field or enum value that Envoy's protos mark deprecated, Any contents included. */
  static List<String> deprecatedFields(Message config) throws Exception {
    List<String> deprecated = new ArrayList<>();
    walk(config, "", (path, field, value) -> {
      if (field != null && field.getOptions().getDeprecated()) {
        deprecated.add(path);
      }
      if (value instanceof EnumValueDescriptor e && e.getOptions().getDeprecated()) {
        deprecated.add(path + " = " + e.getName());
      }
    });
    return deprecated;
  }

  @Test
  void transcodesExactlyThePublicServicesOfTheDescriptorSet() {
    GrpcJsonTranscoder transcoder = edgeHttpTranscoder();

    assertThat(Descriptors.allServices()).containsAll(transcoder.getServicesList());
    assertThat(new TreeSet<>(transcoder.getServicesList())).isEqualTo(Descriptors.publicServices());
  }

  @Test
  void transcoderPrintsAndRejectsAsTheRestContractSays() {
    GrpcJsonTranscoder t = edgeHttpTranscoder();

    assertThat(t.getConvertGrpcStatus()).isTrue();
    assertThat(t.getPrintOptions())
        .isEqualTo(
            GrpcJsonTranscoder.PrintOptions.newBuilder().setAlwaysPrintPrimitiveFields(true).build());
    assertThat(t.getRequestValidationOptions().getRejectUnknownMethod()).isTrue();
    assertThat(t.getRequestValidationOptions().getRejectUnknownQueryParameters()).isTrue();
    assertThat(t.getIgnoreUnknownQueryParameters()).as("would override the rejection").isFalse();
    assertThat(t.getMatchIncomingRequestRoute()).as("routes match gRPC paths").isFalse();
    assertThat(t.getAutoMapping()).as("would expose methods without an HTTP rule").isFalse();
  }

  @Test
  void transcoderBodyLimitIsTheServicesInboundMessageLimit() {
    int servicesLimit = ServerSettings.from(Env.of(Map.of()), 0).maxInboundMessageBytes();

    assertThat(edgeHttpTranscoder().getMaxRequestBodySize().getValue()).isEqualTo(servicesLimit);
    assertThat(servicesLimit).isEqualTo(1 << 20);
  }

  @Test
  void transcoderRunsBeforeTheRouterOnTheRestListenerOnly() {
    List<String> http = filterNames(Envoy.hcm(Envoy.listener(EDGE_HTTP)));
    assertThat(http).containsExactly(
        Envoy.HEADER_MUTATION, Envoy.TRANSCODER, Envoy.JWT_AUTHN, Envoy.RBAC_FILTER, Envoy.LOCAL_RATELIMIT, Envoy.ROUTER);
    assertThat(filterNames(Envoy.hcm(Envoy.listener(EDGE_GRPC))))
        .containsExactly(Envoy.HEADER_MUTATION, Envoy.JWT_AUTHN, Envoy.RBAC_FILTER, Envoy.LOCAL_RATELIMIT, Envoy.ROUTER);
    for (Listener l : eastWestListeners()) {
      assertThat(filterNames(Envoy.hcm(l))).as(l.getName()).containsExactly(Envoy.ROUTER);
    }
  }

  @Test
  void everyPublicRpcIsRoutedOnBothEdgeListenersToTheClusterServingIt() {
    for (int port : List.of(EDGE_HTTP, EDGE_GRPC)) {
      HttpConnectionManager hcm = Envoy.hcm(Envoy.listener(port));
      for (Rpc rpc : Descriptors.publicRpcs()) {
        Route route = Envoy.routeFor(hcm, rpc.path()).orElseThrow(
            () -> new AssertionError(rpc + " has no route on :" + port));
        assertThat(route.hasRoute()).as(rpc + " on :" + port).isTrue();
        String cluster = route.getRoute().getCluster();
        assertThat(Envoy.clusterServing(rpc.service()).map(Cluster::getName))
            .as("%s on :%d goes to %s, which should health-check %s", rpc, port, cluster, rpc.service())
            .contains(cluster);
      }
    }
  }

  @Test
  void exactlyTheInternalRpcsAreTheUnroutedOnes() {
    // An INTERNAL method with an HTTP rule would be published by both edges; a method without
    // one that is not INTERNAL could not be reached at all.
    assertThat(Descriptors.internalRpcs()).isEqualTo(Descriptors.unroutedRpcs());
    assertThat(Descriptors.internalRpcs()).allSatisfy(r -> assertThat(r.access().orElseThrow().getCallersList())
        .as(r + " names its callers").isNotEmpty()
        .allSatisfy(c -> assertThat(c).startsWith("spiffe://shopmesh.local/")));
  }

  @Test
  void internalRpcsAreNotRoutableFromTheEdgeListeners() {
    assertThat(Descriptors.internalRpcs())
        .extracting(Rpc::toString)
        .contains(
            "/shopmesh.payment.v1.PaymentService/Charge", "/shopmesh.payment.v1.PaymentService/Refund");
    for (int port : List.of(EDGE_HTTP, EDGE_GRPC)) {
      HttpConnectionManager hcm = Envoy.hcm(Envoy.listener(port));
      for (Rpc rpc : Descriptors.internalRpcs()) {
        assertThat(Envoy.routeFor(hcm, rpc.path())).as(rpc + " on :" + port).isEmpty();
      }
    }
  }

  @Test
  void edgeListenersRouteOnlyExactPathsOfPublicRpcsReflectionAndOpenApi() {
    Set<String> allowed = new HashSet<>();
    Descriptors.publicRpcs().forEach(r -> allowed.add(r.path()));
    allowed.add("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
    allowed.add("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
    allowed.add("/grpc.health.v1.Health/Check");
    allowed.add("/grpc.health.v1.Health/Watch");
    for (int port : List.of(EDGE_HTTP, EDGE_GRPC)) {
      for (Route route : Envoy.routes(Envoy.hcm(Envoy.listener(port)))) {
        assertThat(route.getMatch().hasPath())
            .as("%s on :%d should match one exact path, so nothing else slips through", route.getName(), port)
            .isTrue();
        if (!route.getMatch().getPath().equals("/openapi.json")) {
          assertThat(allowed).as("route %s on :%d", route.getName(), port).contains(route.getMatch().getPath());
        }
      }
    }
  }

  @Test
  void reflectionGoesToTheJavaEdgeOnBothEdgeListeners() {
    for (int port : List.of(EDGE_HTTP, EDGE_GRPC)) {
      for (String version : List.of("v1", "v1alpha")) {
        String path = "/grpc.reflection." + version + ".ServerReflection/ServerReflectionInfo";
        Route route = Envoy.routeFor(Envoy.hcm(Envoy.listener(port)), path).orElseThrow();
        Cluster cluster = Envoy.clusters().get(route.getRoute().getCluster());
        assertThat(Envoy.endpoint(cluster).getAddress()).isEqualTo("edge-rest-adapter-headless");
        assertThat(Envoy.endpoint(cluster).getPortValue()).isEqualTo(EDGE_GRPC);
        assertThat(isHttp2(cluster)).as(cluster.getName()).isTrue();
      }
    }
  }

  @Test
  void openApiGoesToTheJavaEdgeWithTheTranscoderDisabled() throws Exception {
    HttpConnectionManager hcm = Envoy.hcm(Envoy.listener(EDGE_HTTP));
    Route route = Envoy.routeFor(hcm, "/openapi.json").orElseThrow();

    Cluster cluster = Envoy.clusters().get(route.getRoute().getCluster());
    assertThat(Envoy.endpoint(cluster).getAddress()).isEqualTo("edge-rest-adapter-headless");
    assertThat(Envoy.endpoint(cluster).getPortValue()).isEqualTo(EDGE_HTTP);
    Any perFilter = route.getTypedPerFilterConfigOrThrow(Envoy.TRANSCODER);
    assertThat(perFilter.unpack(FilterConfig.class).getDisabled()).isTrue();
  }

  @Test
  void eastWestListenersReachEveryRpcOfTheirServiceButNoInternalOne() {
    assertThat(eastWestListeners()).isNotEmpty();
    for (Listener l : eastWestListeners()) {
      assertThat(eastWestProblems(l)).isEmpty();
    }
  }

  @Test
  void anEastWestListenerThatRoutesAnInternalRpcIsCaught() {
    // The listener compose once had: payment-svc's every method, Charge and Refund included.
    Listener l = eastWestListeners().get(0);
    HttpConnectionManager hcm = Envoy.hcm(l);
    var routeConfig = hcm.getRouteConfig().toBuilder();
    var host = routeConfig.getVirtualHosts(0).toBuilder();
    host.addRoutes(host.getRoutes(0).toBuilder().setName("PaymentService")
        .setMatch(host.getRoutes(0).getMatch().toBuilder().setPrefix("/shopmesh.payment.v1.PaymentService/"))
        .setRoute(host.getRoutes(0).getRoute().toBuilder().setCluster("payment_svc")));
    routeConfig.setVirtualHosts(0, host);
    Listener broken = l.toBuilder()
        .setFilterChains(0, l.getFilterChains(0).toBuilder().setFilters(0, l.getFilterChains(0).getFilters(0).toBuilder()
            .setTypedConfig(Any.pack(hcm.toBuilder().setRouteConfig(routeConfig).build()))))
        .build();

    assertThat(eastWestProblems(broken)).anySatisfy(p -> assertThat(p).contains("PaymentService/Charge"));
  }

  /** What is wrong with an east-west listener: an RPC of its service it misses, an internal one it routes. */
  static List<String> eastWestProblems(Listener l) {
    List<String> problems = new ArrayList<>();
    HttpConnectionManager hcm = Envoy.hcm(l);
    String cluster = Envoy.routes(hcm).get(0).getRoute().getCluster();
    String service = Envoy.healthCheckedService(Envoy.clusters().get(cluster)).orElseThrow();
    Set<String> internal = new HashSet<>();
    Descriptors.internalRpcs().forEach(r -> internal.add(r.path()));
    for (Rpc rpc : Descriptors.shopmeshRpcs()) {
      var route = Envoy.routeFor(hcm, rpc.path());
      if (internal.contains(rpc.path())) {
        route.ifPresent(r -> problems.add(l.getName() + " routes the internal " + rpc + " (mutual TLS only)"));
      } else if (rpc.service().equals(service) && route.map(r -> !r.getRoute().getCluster().equals(cluster)).orElse(true)) {
        problems.add(l.getName() + " does not route " + rpc + " to " + cluster);
      }
    }
    return problems;
  }

  @Test
  void everyReferencedClusterIsDefinedAndEveryDefinedClusterIsUsed() {
    Set<String> referenced = new TreeSet<>();
    for (Listener l : Envoy.listeners()) {
      HttpConnectionManager hcm = Envoy.hcm(l);
      Envoy.routes(hcm).stream().filter(Route::hasRoute).map(r -> r.getRoute().getCluster()).forEach(referenced::add);
      if (hcm.hasTracing()) {
        var otel = Envoy.unpack(hcm.getTracing().getProvider().getTypedConfig(), OpenTelemetryConfig.class);
        referenced.add(otel.getGrpcService().getEnvoyGrpc().getClusterName());
      }
      Envoy.filter(hcm, Envoy.JWT_AUTHN, io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication.class)
          .ifPresent(jwt -> jwt.getProvidersMap().values()
              .forEach(p -> referenced.add(p.getRemoteJwks().getHttpUri().getCluster())));
    }
    assertThat(referenced).doesNotContain("");
    assertThat(Envoy.clusters().keySet()).containsAll(referenced);
    assertThat(referenced).containsAll(Envoy.clusters().keySet());
  }

  @Test
  void serviceClustersAreHttp2StrictDnsHealthCheckedEjectingAndBounded() {
    for (String service : Descriptors.publicServices()) {
      Cluster c = Envoy.clusterServing(service).orElseThrow(() -> new AssertionError("no cluster health-checks " + service));

      assertThat(c.getType()).as(c.getName()).isEqualTo(Cluster.DiscoveryType.STRICT_DNS);
      assertThat(isHttp2(c)).as(c.getName() + " speaks h2c to gRPC").isTrue();
      assertThat(c.getLbPolicy()).as(c.getName()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);

      HealthCheck hc = c.getHealthChecks(0);
      // Required by Envoy's validation rules, which the JSON parse does not apply.
      assertThat(hc.hasTimeout() && hc.hasInterval() && hc.hasUnhealthyThreshold() && hc.hasHealthyThreshold())
          .as(c.getName() + " health check: timeout, interval and thresholds are required")
          .isTrue();
      assertThat(hc.hasNoTrafficInterval()).as(c.getName() + " no_traffic_interval (default 60s)").isTrue();
      assertThat(Durations.toMillis(hc.getNoTrafficInterval())).isLessThanOrEqualTo(10_000);

      var od = c.getOutlierDetection();
      assertThat(od.getSplitExternalLocalOriginErrors()).as(c.getName() + ": local-origin errors counted apart").isTrue();
      assertThat(od.getEnforcingConsecutiveLocalOriginFailure().getValue())
          .as(c.getName() + ": connect failures, resets and timeouts eject")
          .isEqualTo(100);

      var thresholds = c.getCircuitBreakers().getThresholdsList();
      assertThat(thresholds).as(c.getName() + " circuit breakers").isNotEmpty();
      assertThat(thresholds.get(0).hasMaxRequests()).isTrue();
      assertThat(thresholds.get(0).hasMaxPendingRequests()).isTrue();
      assertThat(thresholds.get(0).hasMaxConnections()).isTrue();
      assertThat(thresholds.get(0).hasRetryBudget() || thresholds.get(0).hasMaxRetries()).isTrue();
    }
  }

  @Test
  void healthChecksNameServicesOfTheDescriptorSet() {
    List<String> named = Envoy.clusters().values().stream()
        .map(Envoy::healthCheckedService)
        .flatMap(java.util.Optional::stream)
        .toList();

    assertThat(named).hasSize(Descriptors.publicServices().size());
    assertThat(Descriptors.publicServices()).containsAll(named);
  }

  @Test
  void everyGrpcRouteHonoursTheClientsDeadline() {
    for (Listener l : Envoy.listeners()) {
      for (Route route : Envoy.routes(Envoy.hcm(l))) {
        if (!route.hasRoute() || !isHttp2(Envoy.clusters().get(route.getRoute().getCluster()))) {
          continue;
        }
        RouteAction action = route.getRoute();
        assertThat(action.getMaxStreamDuration().hasGrpcTimeoutHeaderMax())
            .as("%s on %s: grpc_timeout_header_max honours grpc-timeout", route.getName(), l.getName())
            .isTrue();
        assertThat(action.hasTimeout())
            .as("%s on %s: Envoy ignores `timeout` once max_stream_duration is set", route.getName(), l.getName())
            .isFalse();
      }
    }
  }

  @Test
  void retriesUseKnownConditionsAndNeverReplayAWriteThatReachedAService() {
    for (Listener l : Envoy.listeners()) {
      for (Route route : Envoy.routes(Envoy.hcm(l))) {
        if (!route.hasRoute() || !route.getRoute().hasRetryPolicy()) {
          continue;
        }
        Set<String> conditions = Set.of(route.getRoute().getRetryPolicy().getRetryOn().split(","));
        assertThat(RETRY_CONDITIONS).as(route.getName()).containsAll(conditions);
        if (route.getMatch().hasPath() && !isRead(route.getMatch().getPath())) {
          assertThat(NOT_YET_SENT)
              .as("%s on %s is not an HTTP GET: retry only what never reached a service", route.getName(), l.getName())
              .containsAll(conditions);
        }
        if (route.getMatch().hasPrefix()) {
          assertThat(NOT_YET_SENT)
              .as("%s on %s covers writes too", route.getName(), l.getName())
              .containsAll(conditions);
        }
      }
    }
  }

  @Test
  void publicReadsAreRetriedOnUnavailable() {
    HttpConnectionManager hcm = Envoy.hcm(Envoy.listener(EDGE_GRPC));
    for (Rpc rpc : Descriptors.publicRpcs()) {
      if (rpc.isRead()) {
        var retryOn = Envoy.routeFor(hcm, rpc.path()).orElseThrow().getRoute().getRetryPolicy().getRetryOn();
        assertThat(retryOn.split(",")).as(rpc.toString()).contains("unavailable", "connect-failure");
      }
    }
  }

  @Test
  void everyConnectionManagerTracesToJaegerOverOtlpGrpc() {
    Cluster jaeger = Envoy.clusters().get(JAEGER_CLUSTER);
    assertThat(Envoy.endpoint(jaeger).getAddress()).isEqualTo("jaeger-headless");
    assertThat(Envoy.endpoint(jaeger).getPortValue()).isEqualTo(4317);
    assertThat(isHttp2(jaeger)).isTrue();
    for (Listener l : Envoy.listeners()) {
      HttpConnectionManager hcm = Envoy.hcm(l);
      assertThat(hcm.getTracing().getProvider().getName()).as(l.getName()).isEqualTo("envoy.tracers.opentelemetry");
      var otel = Envoy.unpack(hcm.getTracing().getProvider().getTypedConfig(), OpenTelemetryConfig.class);
      assertThat(otel.getGrpcService().getEnvoyGrpc().getClusterName()).isEqualTo(JAEGER_CLUSTER);
    }
  }

  @Test
  void restLocalRepliesAreStatusJsonWhoseCodeMapsBackToTheirHttpStatus() {
    LocalReplyConfig config = Envoy.hcm(Envoy.listener(EDGE_HTTP)).getLocalReplyConfig();
    Set<Integer> statuses = new TreeSet<>();
    for (ResponseMapper mapper : config.getMappersList()) {
      AccessLogFilter filter = mapper.getFilter();
      assertThat(filter.hasAndFilter()).isTrue();
      int status = filter.getAndFilter().getFiltersList().stream()
          .filter(AccessLogFilter::hasStatusCodeFilter)
          .mapToInt(f -> f.getStatusCodeFilter().getComparison().getValue().getDefaultValue())
          .findFirst().orElseThrow();
      assertThat(filter.getAndFilter().getFiltersList())
          .as("status %d: native gRPC callers keep a gRPC status", status)
          .anySatisfy(f -> assertThat(f.toString()).contains("x-envoy-original-path").contains("application/grpc"));
      Struct body = mapper.getBodyFormatOverride().getJsonFormat();
      assertThat(mapper.getBodyFormatOverride().getContentType()).isEqualTo("application/json");
      assertThat(body.getFieldsMap().keySet()).containsExactlyInAnyOrder("code", "message", "details");
      assertThat(body.getFieldsOrThrow("details").hasListValue()).as("details is an array").isTrue();
      int code = (int) body.getFieldsOrThrow("code").getNumberValue();
      if (NO_GRPC_CODE_FOR.containsKey(status)) {
        assertThat(code).as("HTTP %d, which no gRPC code maps to", status).isEqualTo(NO_GRPC_CODE_FOR.get(status));
      } else {
        assertThat(GRPC_TO_HTTP.get(code)).as("code %d for HTTP %d", code, status).isEqualTo(status);
      }
      statuses.add(status);
    }
    assertThat(statuses).contains(400, 404, 413, 503, 504);
  }

  @Test
  void theAdminListensOn9901() {
    assertThat(Envoy.bootstrap().getAdmin().getAddress().getSocketAddress().getPortValue()).isEqualTo(9901);
  }

  static List<Listener> eastWestListeners() {
    return Envoy.listeners().stream()
        .filter(l -> Envoy.port(l) != EDGE_HTTP && Envoy.port(l) != EDGE_GRPC)
        .toList();
  }

  static GrpcJsonTranscoder edgeHttpTranscoder() {
    return Envoy.transcoder(Envoy.hcm(Envoy.listener(EDGE_HTTP)))
        .orElseThrow(() -> new AssertionError(":8080 has no transcoder"));
  }

  static boolean isHttp2(Cluster cluster) {
    Any options = cluster.getTypedExtensionProtocolOptionsMap().get("envoy.extensions.upstreams.http.v3.HttpProtocolOptions");
    return options != null
        && Envoy.unpack(options, HttpProtocolOptions.class).getExplicitHttpConfig().hasHttp2ProtocolOptions();
  }

  static boolean isRead(String grpcPath) {
    return Descriptors.shopmeshRpcs().stream().anyMatch(r -> r.path().equals(grpcPath) && r.isRead())
        // reflection only reads
        || grpcPath.startsWith("/grpc.reflection.")
        || grpcPath.equals("/openapi.json");
  }

  private static List<String> filterNames(HttpConnectionManager hcm) {
    return hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
  }

  interface Visitor {
    void visit(String path, FieldDescriptor field, Object value) throws Exception;
  }

  /** Visits every set field, recursing into messages and into the messages inside Anys. */
  static void walk(Message message, String path, Visitor visitor) throws Exception {
    if (message instanceof Any any) {
      visitor.visit(path, null, any);
      Descriptor type = Envoy.type(any);
      if (type != null) {
        walk(DynamicMessage.parseFrom(type, any.getValue()), path + "<" + type.getName() + ">", visitor);
      }
      return;
    }
    if (message instanceof DynamicMessage dm && dm.getDescriptorForType().getFullName().equals("google.protobuf.Any")) {
      walk(Any.parseFrom(dm.toByteString()), path, visitor);
      return;
    }
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor field = e.getKey();
      List<?> values = field.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
      for (int i = 0; i < values.size(); i++) {
        String p = path + "." + field.getName() + (field.isRepeated() ? "[" + i + "]" : "");
        Object v = values.get(i);
        visitor.visit(p, field, v);
        if (v instanceof Message m) {
          walk(m, p, visitor);
        }
      }
    }
  }
}
