package dev.shopmesh.cluster;

import com.google.gson.Gson;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.trace.v3.OpenTelemetryConfig;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder;
import io.envoyproxy.envoy.extensions.filters.http.header_mutation.v3.HeaderMutation;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * envoy/envoy.yaml parsed into Envoy's own {@code Bootstrap} (the v1.34 API protos of
 * io.envoyproxy.controlplane:api 1.0.49): YAML to JSON, then the strict protobuf JSON parser,
 * so an unknown field, a wrong type or an unresolvable {@code @type} fails.
 */
final class Envoy {
  static final String CONFIG = "envoy/envoy.yaml";

  /** Every {@code @type} envoy.yaml uses. A new one makes the parse fail until it is added. */
  static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(Router.getDescriptor())
          .add(GrpcJsonTranscoder.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(OpenTelemetryConfig.getDescriptor())
          .add(StdoutAccessLog.getDescriptor())
          .add(io.envoyproxy.envoy.config.route.v3.FilterConfig.getDescriptor())
          .add(PreviousHostsPredicate.getDescriptor())
          .add(HeaderMutation.getDescriptor())
          .add(JwtAuthentication.getDescriptor())
          .add(RBAC.getDescriptor())
          .add(LocalRateLimit.getDescriptor())
          .build();

  static final String HCM = "envoy.filters.network.http_connection_manager";
  static final String TRANSCODER = "envoy.filters.http.grpc_json_transcoder";
  static final String ROUTER = "envoy.filters.http.router";
  static final String HEADER_MUTATION = "envoy.filters.http.header_mutation";
  static final String JWT_AUTHN = "envoy.filters.http.jwt_authn";
  static final String RBAC_FILTER = "envoy.filters.http.rbac";
  static final String LOCAL_RATELIMIT = "envoy.filters.http.local_ratelimit";

  /** The typed config of the listener's HTTP filter {@code name}, if it has one. */
  static <T extends Message> Optional<T> filter(HttpConnectionManager hcm, String name, Class<T> type) {
    return hcm.getHttpFiltersList().stream()
        .filter(f -> f.getName().equals(name))
        .map(f -> unpack(f.getTypedConfig(), type))
        .findFirst();
  }

  private static Bootstrap bootstrap;

  private Envoy() {}

  static synchronized Bootstrap bootstrap() {
    if (bootstrap == null) {
      bootstrap = parse(Repo.read(CONFIG));
    }
    return bootstrap;
  }

  static Bootstrap parse(String yaml) {
    Object tree = Repo.parseYaml(yaml);
    Bootstrap.Builder builder = Bootstrap.newBuilder();
    try {
      JsonFormat.parser().usingTypeRegistry(TYPES).merge(new Gson().toJson(tree), builder);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return builder.build();
  }

  /** The descriptor of an Any's content, or null when {@link #TYPES} does not know it. */
  static com.google.protobuf.Descriptors.Descriptor type(Any any) {
    String url = any.getTypeUrl();
    return TYPES.find(url.substring(url.lastIndexOf('/') + 1));
  }

  static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(any.getTypeUrl() + ": " + e.getMessage(), e);
    }
  }

  static List<Listener> listeners() {
    return bootstrap().getStaticResources().getListenersList();
  }

  static Listener listener(int port) {
    return listeners().stream()
        .filter(l -> l.getAddress().getSocketAddress().getPortValue() == port)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Envoy listener on port " + port));
  }

  static int port(Listener listener) {
    return listener.getAddress().getSocketAddress().getPortValue();
  }

  /** The HTTP connection manager of a listener's (single) filter chain. */
  static HttpConnectionManager hcm(Listener listener) {
    var filters = listener.getFilterChains(0).getFiltersList();
    var hcm =
        filters.stream()
            .filter(f -> f.getName().equals(HCM))
            .findFirst()
            .orElseThrow(() -> new AssertionError(listener.getName() + " has no " + HCM));
    return unpack(hcm.getTypedConfig(), HttpConnectionManager.class);
  }

  static Optional<GrpcJsonTranscoder> transcoder(HttpConnectionManager hcm) {
    return hcm.getHttpFiltersList().stream()
        .filter(f -> f.getName().equals(TRANSCODER))
        .map(HttpFilter::getTypedConfig)
        .map(any -> unpack(any, GrpcJsonTranscoder.class))
        .findFirst();
  }

  static Map<String, Cluster> clusters() {
    Map<String, Cluster> byName = new LinkedHashMap<>();
    for (Cluster c : bootstrap().getStaticResources().getClustersList()) {
      if (byName.put(c.getName(), c) != null) {
        throw new AssertionError("cluster " + c.getName() + " is defined twice");
      }
    }
    return byName;
  }

  static SocketAddress endpoint(Cluster cluster) {
    var endpoints = cluster.getLoadAssignment().getEndpointsList();
    if (endpoints.size() != 1 || endpoints.get(0).getLbEndpointsCount() != 1) {
      throw new AssertionError(cluster.getName() + " should have exactly one (DNS) endpoint");
    }
    return endpoints.get(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress();
  }

  /** The gRPC service a cluster's active health check asks about, if it has one. */
  static Optional<String> healthCheckedService(Cluster cluster) {
    return cluster.getHealthChecksList().stream()
        .filter(HealthCheck::hasGrpcHealthCheck)
        .map(h -> h.getGrpcHealthCheck().getServiceName())
        .findFirst();
  }

  /** The cluster whose gRPC health check names {@code service}: that service's backend. */
  static Optional<Cluster> clusterServing(String service) {
    return clusters().values().stream()
        .filter(c -> healthCheckedService(c).filter(service::equals).isPresent())
        .findFirst();
  }

  /**
   * The route a request for {@code path} takes: the first match of the catch-all virtual host.
   * Header matchers are not modelled, so a route that has any fails loudly rather than being
   * guessed at.
   */
  static Optional<Route> routeFor(HttpConnectionManager hcm, String path) {
    for (VirtualHost vhost : hcm.getRouteConfig().getVirtualHostsList()) {
      if (!vhost.getDomainsList().contains("*")) {
        continue;
      }
      for (Route route : vhost.getRoutesList()) {
        if (matches(route.getMatch(), path)) {
          return Optional.of(route);
        }
      }
    }
    return Optional.empty();
  }

  static boolean matches(RouteMatch match, String path) {
    if (match.getHeadersCount() > 0 || match.getQueryParametersCount() > 0) {
      throw new AssertionError("route matchers with headers are not modelled here: " + match);
    }
    return switch (match.getPathSpecifierCase()) {
      case PATH -> match.getPath().equals(path);
      case PREFIX -> path.startsWith(match.getPrefix());
      case PATH_SEPARATED_PREFIX ->
          path.equals(match.getPathSeparatedPrefix())
              || path.startsWith(match.getPathSeparatedPrefix() + "/");
      case SAFE_REGEX -> Pattern.matches(match.getSafeRegex().getRegex(), path);
      default -> throw new AssertionError("route matcher not modelled here: " + match);
    };
  }

  static List<Route> routes(HttpConnectionManager hcm) {
    return hcm.getRouteConfig().getVirtualHostsList().stream()
        .flatMap(v -> v.getRoutesList().stream())
        .toList();
  }
}
