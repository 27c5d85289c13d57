package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** envoy.yaml, compose.yaml, the Dockerfile and the services agree on names, ports and paths. */
class ClusterTopologyTest {
  /** DESIGN.md's port table. */
  static final Map<String, Integer> DESIGN_PORTS =
      Map.ofEntries(
          Map.entry("user-svc", 50051), Map.entry("order-svc", 50052), Map.entry("payment-svc", 50053),
          Map.entry("notification-svc", 50054), Map.entry("edge-http", 8080), Map.entry("edge-grpc", 9090),
          Map.entry("envoy-admin", 9901), Map.entry("jaeger-ui", 16686), Map.entry("otlp-grpc", 4317),
          Map.entry("otlp-http", 4318), Map.entry("kafka", 9092));

  @Test
  void envoyPublishesItsEdgeListenersAndAdminOnTheDesignPorts() {
    Map<Integer, Integer> published = Compose.publishedPorts("envoy");
    for (String name : List.of("edge-http", "edge-grpc")) {
      int port = DESIGN_PORTS.get(name);
      Envoy.listener(port);
      assertThat(published).as(name).containsEntry(port, port);
    }
    int admin = Envoy.bootstrap().getAdmin().getAddress().getSocketAddress().getPortValue();
    assertThat(admin).isEqualTo(DESIGN_PORTS.get("envoy-admin"));
    assertThat(published).containsEntry(admin, admin);
    assertThat(Compose.ports("envoy")).as("the admin can stop Envoy: this host only")
        .contains("127.0.0.1:" + admin + ":" + admin);
  }

  @Test
  void eastWestListenersStayInsideTheComposeNetwork() {
    Set<Integer> published = Set.copyOf(Compose.publishedPorts("envoy").values());
    for (Listener l : EnvoyConfigTest.eastWestListeners()) {
      assertThat(published).as(l.getName()).doesNotContain(Envoy.port(l));
    }
  }

  @Test
  void everyClusterPointsAtAComposeServiceOnThePortItListensOn() {
    for (Cluster cluster : Envoy.clusters().values()) {
      SocketAddress endpoint = Envoy.endpoint(cluster);
      String service = Compose.serviceAt(endpoint.getAddress())
          .orElseThrow(() -> new AssertionError(cluster.getName() + ": " + endpoint.getAddress() + " is no compose service or alias"));
      assertThat(listeningPorts(service)).as(cluster.getName() + " -> " + service).contains(endpoint.getPortValue());
    }
  }

  @Test
  void servicePortsAgreeAcrossDesignComposeEnvoyAndEachServicesDefault() {
    for (String service : List.of("user-svc", "order-svc", "payment-svc", "notification-svc")) {
      int design = DESIGN_PORTS.get(service);
      assertThat(Compose.environment(service)).containsEntry("PORT", String.valueOf(design));
      String grpcService = Envoy.clusters().values().stream()
          .filter(c -> Compose.reaches(Envoy.endpoint(c).getAddress(), service))
          .map(c -> Envoy.endpoint(c).getPortValue() + "")
          .findFirst().orElseThrow(() -> new AssertionError("no Envoy cluster for " + service));
      assertThat(grpcService).isEqualTo(String.valueOf(design));
      ServiceModules.find(Compose.javaServiceModules().get(service))
          .map(ServiceModules::mainClass)
          .flatMap(ServiceModules::defaultPort)
          .ifPresent(p -> assertThat(p).as(service + " Main.DEFAULT_PORT").isEqualTo(design));
    }
    Map<String, String> edge = Compose.environment("edge-rest-adapter");
    assertThat(edge).containsEntry("HTTP_PORT", "" + DESIGN_PORTS.get("edge-http"))
        .containsEntry("GRPC_PORT", "" + DESIGN_PORTS.get("edge-grpc"));
    assertThat(Envoy.endpoint(Envoy.clusters().get(EnvoyConfigTest.JAEGER_CLUSTER)).getPortValue())
        .isEqualTo(DESIGN_PORTS.get("otlp-grpc"));
    // The broker both event services reach, on the port DESIGN.md gives Kafka.
    String kafka = "kafka:" + DESIGN_PORTS.get("kafka");
    assertThat(Compose.environment("kafka").get("KAFKA_ADVERTISED_LISTENERS")).isEqualTo("PLAINTEXT://" + kafka);
    for (String service : List.of("order-svc", "notification-svc")) {
      assertThat(Compose.environment(service)).as(service).containsEntry("KAFKA_BOOTSTRAP_SERVERS", kafka);
    }
  }

  @Test
  void peerTargetsReachTheirServiceDirectlyOrThroughAnEastWestListener() {
    int checked = 0;
    for (String service : Compose.services().keySet()) {
      for (var e : Compose.environment(service).entrySet()) {
        if (!e.getKey().endsWith("_SVC_TARGET")) {
          continue;
        }
        String peer = e.getKey().substring(0, e.getKey().length() - "_TARGET".length()).toLowerCase().replace('_', '-');
        URI target = URI.create(e.getValue().replace("dns:///", "dns://"));
        assertThat(target.getScheme()).as(service + " " + e.getKey()).isEqualTo("dns");
        if (target.getHost().equals("envoy")) {
          Listener listener = Envoy.listener(target.getPort());
          assertThat(EnvoyConfigTest.eastWestListeners()).as(service + " " + e.getKey()).contains(listener);
          String cluster = Envoy.routes(Envoy.hcm(listener)).get(0).getRoute().getCluster();
          assertThat(Compose.serviceAt(Envoy.endpoint(Envoy.clusters().get(cluster)).getAddress())).as(e.getKey()).hasValue(peer);
        } else {
          assertThat(target.getHost()).as(service + " " + e.getKey()).isEqualTo(peer);
          assertThat(listeningPorts(peer)).as(service + " " + e.getKey()).contains(target.getPort());
        }
        checked++;
      }
    }
    assertThat(checked).isPositive();
    assertThat(Compose.environment("order-svc").get("PAYMENT_SVC_TARGET"))
        .as("order-svc calls Charge and Refund at payment-svc's internal port, over mutual TLS end to end")
        .isEqualTo("dns:///payment-svc:" + Compose.environment("payment-svc").get("INTERNAL_PORT"));
  }

  @Test
  void envoyReadsTheConfigComposeMountsAndTheDescriptorSetItsImageCarries() {
    List<?> command = (List<?>) Compose.service("envoy").get("command");
    String config = String.valueOf(command.get(command.indexOf("-c") + 1));
    assertThat(Compose.bindMounts("envoy")).containsEntry("./" + Envoy.CONFIG, config);

    assertThat(Compose.map(Compose.service("envoy").get("build"))).containsEntry("target", "envoy");
    String descriptor = EnvoyConfigTest.edgeHttpTranscoder().getProtoDescriptor();
    assertThat(Dockerfile.copyDestination("envoy", "proto/target/descriptor/shopmesh.protobin")).contains(descriptor);
  }

  @Test
  void theJavaEdgeReadsADescriptorSetItsImageCarries() throws Exception {
    String path = Compose.environment("edge-rest-adapter").get("DESCRIPTOR_SET");
    if (path != null) {
      assertThat(Dockerfile.copyDestination("service", "shopmesh.protobin")).contains(path);
    } else {
      // Unset, the edge reads the copy inside the proto jar, on its classpath in the image.
      Class<?> edge = ServiceModules.mainClass(ServiceModules.find("edge-rest-adapter").orElseThrow());
      assertThat(edge.getResource("/shopmesh.protobin")).isNotNull();
    }
  }

  /** The ports a compose service listens on, from its environment (or DESIGN.md for images). */
  static Set<Integer> listeningPorts(String service) {
    Map<String, String> env = Compose.environment(service);
    if (service.equals("jaeger")) {
      return Set.of(DESIGN_PORTS.get("otlp-grpc"), DESIGN_PORTS.get("otlp-http"), DESIGN_PORTS.get("jaeger-ui"));
    }
    return env.entrySet().stream()
        .filter(e -> e.getKey().equals("PORT") || e.getKey().endsWith("_PORT"))
        .map(e -> Integer.parseInt(e.getValue()))
        .collect(java.util.stream.Collectors.toSet());
  }
}
