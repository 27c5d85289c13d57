package dev.shopmesh.cluster;

import static dev.shopmesh.cluster.Manifests.at;
import static dev.shopmesh.cluster.Manifests.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.shopmesh.cluster.Manifests.Obj;
import dev.shopmesh.cluster.ServiceModules.Module;
import dev.shopmesh.cluster.ServiceModules.Running;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestPostgres;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Each of this project's containers in the built manifests (image {@code shopmesh/<module>}),
 * started here through its module's production wiring ({@code Main.start(Env)}) with the
 * environment the manifests give it: the variables it sets must be ones the code reads
 * ({@code Env.namesRead()}, taken from the running code, not from a list), everything it needs
 * must be set, and its probes must ask the port it listens on for health names it serves.
 * A new service module is picked up from its Deployment's image; a module the images hold but
 * the manifests lack is an error.
 */
class KubernetesServicesTest {
  private static K8sTree tree;

  @BeforeAll
  static void setUp() throws Exception {
    Kubectl.assumeAvailable();
    ComposePostgres.ensureInitialized();
    tree = K8sTree.copy();
  }

  @AfterAll
  static void tearDown() {
    if (tree != null) {
      tree.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> everyServiceReadsWhatItsDeploymentSetsAndServesWhatItsProbesAsk() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String overlay : List.of("overlays/prod", "overlays/dev")) {
      Manifests m = tree.build(overlay);
      for (Obj w : m.workloads().toList()) {
        for (Map<String, Object> c : w.containers()) {
          if (K8sLint.ours(c)) {
            tests.add(dynamicTest(overlay + " " + w.name(), () -> assertThat(problems(m, w, c)).isEmpty()));
          }
        }
      }
    }
    return tests.stream();
  }

  @Test
  void everyModuleTheImagesHoldHasADeployment() {
    Manifests prod = tree.build("overlays/prod");
    Set<String> deployed = new TreeSet<>();
    prod.workloads().forEach(w -> w.containers().stream().filter(K8sLint::ours).forEach(c -> deployed.add(module(c))));

    assertThat(deployed).containsAll(Compose.javaServiceModules().values());
  }

  @Test
  void aVariableTheServiceDoesNotReadIsAnError() throws Exception {
    try (K8sTree copy = K8sTree.copy()) {
      copy.replace(KubernetesChecksFailTest.BASE + "payment-svc.yaml", "        - name: DB_POOL_SIZE\n", "        - name: DB_POOLSIZE\n          value: \"4\"\n        - name: DB_POOL_SIZE\n");
      Manifests m = copy.build("overlays/prod");
      Obj w = m.get("Deployment", "payment-svc");

      assertThat(problems(m, w, w.containers().get(0))).anySatisfy(p -> assertThat(p).contains("DB_POOLSIZE"));
    }
  }

  @Test
  void aHealthNameTheServiceDoesNotServeIsAnError() throws Exception {
    try (K8sTree copy = K8sTree.copy()) {
      copy.replace(KubernetesChecksFailTest.BASE + "user-svc.yaml",
          "readinessProbe:\n          grpc: {port: 50051, service: shopmesh.user.v1.UserService}",
          "readinessProbe:\n          grpc: {port: 50051, service: shopmesh.user.v1.Users}");
      Manifests m = copy.build("overlays/prod");
      Obj w = m.get("Deployment", "user-svc");

      assertThat(problems(m, w, w.containers().get(0))).anySatisfy(p -> assertThat(p).contains("shopmesh.user.v1.Users"));
    }
  }

  @Test
  void aServiceWithoutItsCertificateDoesNotStart() throws Exception {
    try (K8sTree copy = K8sTree.copy()) {
      copy.replace(KubernetesChecksFailTest.BASE + "order-svc.yaml", "        - name: TLS_KEY_FILE\n          value: /etc/shopmesh/tls/tls.key\n", "");
      Manifests m = copy.build("overlays/prod");
      Obj w = m.get("Deployment", "order-svc");

      assertThat(problems(m, w, w.containers().get(0))).anySatisfy(p -> assertThat(p).contains("does not start").contains("TLS_KEY_FILE"));
    }
  }

  @Test
  void aPortTheServiceIsNotToldToListenOnIsAnError() throws Exception {
    try (K8sTree copy = K8sTree.copy()) {
      copy.replace(KubernetesChecksFailTest.BASE + "order-svc.yaml", "- name: PORT\n          value: \"50052\"", "- name: PORT\n          value: \"50062\"");
      Manifests m = copy.build("overlays/prod");
      Obj w = m.get("Deployment", "order-svc");

      assertThat(problems(m, w, w.containers().get(0))).anySatisfy(p -> assertThat(p).contains("50052"));
    }
  }

  static String module(Map<String, Object> container) {
    String image = String.valueOf(container.get("image"));
    String repo = image.substring(0, image.lastIndexOf(':'));
    return repo.substring(repo.lastIndexOf('/') + 1);
  }

  /** What is wrong with one container: its variables, its ports, its probes. */
  static List<String> problems(Manifests m, Obj workload, Map<String, Object> container) throws Exception {
    List<String> problems = new ArrayList<>();
    String name = workload + " container " + container.get("name");
    Module module = ServiceModules.find(module(container))
        .orElseThrow(() -> new AssertionError(name + ": image " + container.get("image") + " names no module of this repository"));
    Class<?> main = ServiceModules.mainClass(module);
    Map<String, String> manifest = Manifests.env(container);

    // Ports: every declared container port is one the service is told to listen on.
    Map<String, String> portVariables = new HashMap<>();
    manifest.forEach((k, v) -> {
      if (k.equals("PORT") || k.endsWith("_PORT") && !k.startsWith("PG")) {
        portVariables.put(v, k);
      }
    });
    Set<Integer> declared = new TreeSet<>();
    for (Map<String, Object> cp : Manifests.maps(container.get("ports"))) {
      int port = (Integer) cp.get("containerPort");
      declared.add(port);
      if (!portVariables.containsKey(String.valueOf(port))) {
        problems.add(name + ": declares port " + port + ", which no variable (" + portVariables + ") tells it to listen on");
      }
    }

    Env env = Env.of(local(m, module.name(), manifest));
    Running running;
    try {
      running = ServiceModules.start(main, env);
    } catch (Exception e) {
      problems.add(name + ": does not start with its manifest's environment: " + e);
      return problems;
    }
    try {
      Set<String> read = new TreeSet<>(env.namesRead());
      read.addAll(ComposeServicesTest.logbackVariables(main));
      for (String variable : manifest.keySet()) {
        if (!read.contains(variable)) {
          problems.add(name + ": sets " + variable + ", which " + module.name() + " never reads");
        }
      }
      for (String kind : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
        Map<String, Object> grpc = map(at(container, kind + ".grpc"));
        if (grpc.isEmpty()) {
          continue;
        }
        Object port = grpc.get("port");
        if (!"GRPC_PORT".equals(portVariables.get(String.valueOf(port))) && !"PORT".equals(portVariables.get(String.valueOf(port)))) {
          problems.add(name + ": its " + kind + " asks port " + port + ", which is not its gRPC port (" + portVariables + ")");
        }
        String service = String.valueOf(grpc.getOrDefault("service", ""));
        String status = health(running.grpcPort(), service);
        if (!status.equals("SERVING")) {
          problems.add(name + ": its " + kind + " asks for health of '" + service + "', which answers " + status);
        }
      }
    } finally {
      running.stop();
    }
    return problems;
  }

  /**
   * The manifest's environment for this machine: values from Secrets resolved (the development
   * Secrets of the build, or what CloudNativePG puts in "<cluster>-app"), the database pointed at
   * the tests' PostgreSQL with compose's roles, peers and collector unreachable, ports free.
   */
  static Map<String, String> local(Manifests m, String service, Map<String, String> manifest) {
    K8sLint lint = new K8sLint(m);
    Map<String, String> resolved = new HashMap<>();
    manifest.forEach((k, v) -> resolved.put(k, resolve(m, lint, v)));
    Map<String, String> pg = new HashMap<>();
    Map<String, String> rest = new HashMap<>();
    resolved.forEach((k, v) -> (k.startsWith("PG") ? pg : rest).put(k, v));
    Map<String, String> vars = new HashMap<>(ComposeServicesTest.local(service, rest));
    if (!pg.isEmpty()) {
      vars.put("PGHOST", "localhost");
      vars.put("PGPORT", String.valueOf(TestPostgres.server().getPort()));
      vars.put("PGDATABASE", pg.get("PGDATABASE"));
      vars.put("PGUSER", pg.get("PGUSER"));
      String password = ComposePostgres.psqlValues().get(pg.get("PGUSER") + "_password");
      vars.put("PGPASSWORD", password == null ? "" : password);
    }
    return vars;
  }

  private static String resolve(Manifests m, K8sLint lint, String value) {
    if (!value.startsWith("secret:")) {
      return value;
    }
    String[] ref = value.substring("secret:".length()).split("/", 2);
    var own = lint.value("Secret", ref[0], ref[1]);
    if (own.isPresent()) {
      return own.get();
    }
    Obj cluster = m.get("Cluster", ref[0].substring(0, ref[0].length() - "-app".length()));
    return switch (ref[1]) {
      case "host" -> cluster.name() + "-rw";
      case "port" -> "5432";
      case "dbname" -> String.valueOf(at(cluster.spec(), "bootstrap.initdb.database"));
      case "username", "user" -> String.valueOf(at(cluster.spec(), "bootstrap.initdb.owner"));
      default -> "(generated by the operator)";
    };
  }

  private static String health(int port, String service) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus().name();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode().name();
    } finally {
      channel.shutdownNow();
    }
  }
}
