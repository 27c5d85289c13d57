package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Each offline check of deploy/k8s can fail: a copy of the manifests is broken in one place,
 * built, and the check must name what is wrong. (KustomizeBuildTest shows the real ones pass.)
 */
class KubernetesChecksFailTest {
  static final String BASE = K8sTree.K8S + "/base/";
  static final String COMPONENTS = K8sTree.K8S + "/components/";

  /** One way to break the manifests, and what the checks must then say. */
  record Breakage(String name, String build, Consumer<K8sTree> edit, String expected) {}

  static List<Breakage> breakages() {
    List<Breakage> b = new ArrayList<>();
    // Strict parsing into the API's model classes
    b.add(new Breakage("an unknown field", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true"), "readOnlyRootFileSystem"));
    b.add(new Breakage("a port given as a string", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "containerPort: 50051", "containerPort: \"50051\""), "expected a number"));
    b.add(new Breakage("an env value given as a number", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "value: \"8\"", "value: 8"), "expected a string"));
    b.add(new Breakage("a boolean given as a word", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "runAsNonRoot: true\n        runAsUser", "runAsNonRoot: \"yes\"\n        runAsUser"), "expected a boolean"));
    b.add(new Breakage("a container without its required name", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "      - name: user-svc\n        image:", "      - image:"), "required field `name`"));
    b.add(new Breakage("a CloudNativePG field that does not exist", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "cloudnative-pg/clusters.yaml", "primaryUpdateStrategy:", "primaryUpdateStrategi:"), "primaryUpdateStrategi: not a field"));
    b.add(new Breakage("a CloudNativePG Cluster without its required instances", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "cloudnative-pg/clusters.yaml", "  instances: 3\n", ""), ".spec.instances: required"));
    b.add(new Breakage("a CloudNativePG enum value that does not exist", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "cloudnative-pg/clusters.yaml", "podAntiAffinityType: preferred", "podAntiAffinityType: maybe"), "must be one of"));
    // Selectors
    b.add(new Breakage("pod labels the selector does not match", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "    metadata:\n      labels:\n        app.kubernetes.io/name: user-svc", "    metadata:\n      labels:\n        app.kubernetes.io/name: users"),
        "does not match its pod labels"));
    b.add(new Breakage("a spread constraint over other pods", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "topology-spread/spread.yaml", "app.kubernetes.io/name: user-svc", "app.kubernetes.io/name: order-svc"), "topology spread constraint selects"));
    // Ports and probes
    b.add(new Breakage("a Service targeting a port name no container has", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "- name: grpc\n          containerPort: 50051", "- name: rpc\n          containerPort: 50051"), "targets grpc, which no container"));
    b.add(new Breakage("a probe on a port the container does not declare", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "grpc: {port: 50051}", "grpc: {port: 50052}"), "asks port 50052"));
    b.add(new Breakage("a readiness probe that is not gRPC", "overlays/prod",
        t -> t.replace(BASE + "payment-svc.yaml", "readinessProbe:\n          grpc: {port: 50053, service: shopmesh.payment.v1.PaymentService}", "readinessProbe:\n          tcpSocket: {port: 50053}"),
        "its readinessProbe is not a grpc probe"));
    // References
    b.add(new Breakage("a key the database Secret does not have", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "key: dbname", "key: database"), "reads key database of Secret users-db-app"));
    b.add(new Breakage("a key the development database Secret does not have", "overlays/dev",
        t -> t.replace(BASE + "order-svc.yaml", "key: username", "key: user"), "reads key user of Secret orders-db-app"));
    b.add(new Breakage("a ConfigMap key that is not there", "overlays/prod",
        t -> t.replace(BASE + "envoy.yaml", "- key: shopmesh.protobin", "- key: descriptors.protobin"), "mounts key descriptors.protobin"));
    // Autoscaling and disruption budgets
    b.add(new Breakage("an autoscaler whose target does not exist", "overlays/prod",
        t -> t.replace(COMPONENTS + "autoscaling/hpa.yaml", "    name: order-svc\n  minReplicas", "    name: orders\n  minReplicas"), "Deployment/orders is not in the build"));
    b.add(new Breakage("a budget that minReplicas cannot keep", "overlays/prod",
        t -> t.replace(COMPONENTS + "autoscaling/hpa.yaml", "    name: user-svc\n  minReplicas: 2", "    name: user-svc\n  minReplicas: 1"), "leaves Deployment/user-svc with none serving"));
    b.add(new Breakage("a budget with minAvailable", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "autoscaling/pdb.yaml", "maxUnavailable: 1", "minAvailable: 1"), "minAvailable can block a node drain"));
    b.add(new Breakage("a budget that unready pods can block", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "autoscaling/pdb.yaml", "  unhealthyPodEvictionPolicy: AlwaysAllow\n", ""), "unhealthyPodEvictionPolicy AlwaysAllow"));
    // Images
    b.add(new Breakage("an image tagged latest", "overlays/prod",
        t -> t.replace(BASE + "payment-svc.yaml", "image: shopmesh/payment-svc:0.1.0", "image: shopmesh/payment-svc:latest"), "is tagged latest"));
    b.add(new Breakage("an image without a tag", "overlays/prod",
        t -> t.replace(BASE + "envoy.yaml", "image: envoyproxy/envoy:v1.34.14", "image: envoyproxy/envoy"), "has no tag"));
    // Security and memory
    b.add(new Breakage("privilege escalation allowed", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"), "allowPrivilegeEscalation is not false"));
    b.add(new Breakage("no emptyDir on /tmp", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "mountPath: /tmp", "mountPath: /var/tmp"), "no emptyDir on /tmp"));
    b.add(new Breakage("direct memory left uncapped", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "\"-XX:MaxDirectMemorySize=48m\",", ""), "direct memory is not capped"));
    b.add(new Breakage("a heap that does not fit the limit", "overlays/prod",
        t -> t.replace(BASE + "user-svc.yaml", "\"-Xmx192m\"", "\"-Xmx400m\""), "over its 512 MiB limit"));
    // Services, peers, Envoy
    b.add(new Breakage("a Service without its headless twin", "overlays/prod",
        t -> t.replace(BASE + "order-svc.yaml", "name: order-svc-headless", "name: order-svc-direct"), "has no headless twin order-svc-headless"));
    b.add(new Breakage("a peer through a virtual IP", "overlays/prod",
        t -> t.replace(BASE + "order-svc.yaml", "dns:///user-svc-headless:50051", "dns:///user-svc:50051"), "does not name a headless Service"));
    b.add(new Breakage("an Envoy cluster on a virtual IP", "overlays/prod",
        t -> t.replace("envoy/envoy.yaml", "address: payment-svc-headless", "address: payment-svc"), "names payment-svc, which is not a headless Service"));
    b.add(new Breakage("circuit breakers sized for three replicas", "overlays/prod",
        t -> t.replace("envoy/envoy.yaml", "max_requests: 320", "max_requests: 64"), "max_requests 64 is below what 10 replicas"));
    b.add(new Breakage("Envoy with a worker per node core", "overlays/prod",
        t -> t.replace(BASE + "envoy.yaml", "\"--concurrency\", \"2\", ", ""), "--concurrency -1 should be set"));
    // Database connections
    b.add(new Breakage("pools too large for max_connections", "overlays/prod",
        t -> t.replace(BASE + "order-svc.yaml", "value: \"8\"", "value: \"20\""), "over max_connections 200"));
    // Network policies
    b.add(new Breakage("a policy that blocks a call of the graph", "overlays/prod",
        t -> t.replace(COMPONENTS + "network-policies/network-policies.yaml",
            "          app.kubernetes.io/name: payment-svc\n    ports:\n    - port: 51053\n      protocol: TCP\n  - to:\n    - podSelector:\n        matchLabels:\n          shopmesh.dev/database-for-order-svc",
            "          app.kubernetes.io/name: payment-svc\n    ports:\n    - port: 51054\n      protocol: TCP\n  - to:\n    - podSelector:\n        matchLabels:\n          shopmesh.dev/database-for-order-svc"),
        "block order-svc -> payment-svc:51053"));
    b.add(new Breakage("payment-svc's internal port open to every source", "overlays/prod",
        t -> t.replace(COMPONENTS + "network-policies/network-policies.yaml",
            "  - from:\n    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: order-svc\n    ports:\n    - port: 51053\n",
            "  - ports:\n    - port: 51053\n"),
        "admit (outside) -> payment-svc:51053"));
    b.add(new Breakage("a policy that admits more than the graph", "overlays/prod",
        t -> t.replace(COMPONENTS + "network-policies/network-policies.yaml", "  - ports:\n    - port: 8080\n      protocol: TCP\n",
            "  - ports:\n    - port: 8080\n      protocol: TCP\n    - port: 9901\n      protocol: TCP\n"), "admit (outside) -> envoy:9901"));
    b.add(new Breakage("a database open to every source", "overlays/prod",
        t -> t.replaceFirst(COMPONENTS + "cloudnative-pg/network-policies.yaml",
            "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: user-svc\n",
            "  ingress:\n  - from: []\n"),
        "admit (outside) -> users-db:5432"));
    // Events: Kafka is reached by its producer and its consumer only
    b.add(new Breakage("the broker open to every source", "overlays/prod",
        t -> t.replace(COMPONENTS + "network-policies/network-policies.yaml",
            "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: order-svc\n    - podSelector:\n        matchLabels:\n          app.kubernetes.io/name: notification-svc\n    ports:\n    - port: 9092",
            "  ingress:\n  - from: []\n    ports:\n    - port: 9092"),
        "admit (outside) -> kafka:9092"));
    b.add(new Breakage("the relay cut off from the broker", "overlays/prod",
        t -> t.replace(BASE + "order-svc.yaml", "value: kafka-headless:9092", "value: kafka-headless:9093"),
        "block order-svc -> kafka:9093"));
    return b;
  }

  @BeforeAll
  static void needsKubectl() {
    Kubectl.assumeAvailable();
  }

  @TestFactory
  Stream<DynamicTest> eachCheckNamesWhatABrokenCopyGetsWrong() {
    return breakages().stream().map(b -> dynamicTest(b.name(), () -> {
      try (K8sTree tree = K8sTree.copy()) {
        b.edit().accept(tree);
        Manifests m = tree.build(b.build());
        // The lint reads well-typed objects: it runs once they parse.
        List<String> problems = new ArrayList<>(StrictModels.problems(m));
        if (problems.isEmpty()) {
          problems.addAll(new K8sLint(m).all());
        }
        assertThat(problems).as(b.name()).anySatisfy(p -> assertThat(p).contains(b.expected()));
      }
    }));
  }

  @Test
  void aKustomizationThatDoesNotBuildIsAnError() {
    try (K8sTree tree = K8sTree.copy()) {
      tree.replace(COMPONENTS + "network-policies/kustomization.yaml", "- network-policies.yaml", "- network-policy.yaml");

      assertThatThrownBy(() -> tree.build("overlays/prod"))
          .isInstanceOf(Kubectl.KustomizeException.class)
          .hasMessageContaining("network-policy.yaml");
    }
  }
}
