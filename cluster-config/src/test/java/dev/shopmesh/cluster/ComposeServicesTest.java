package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.shopmesh.cluster.ServiceModules.Module;
import dev.shopmesh.cluster.ServiceModules.Running;
import dev.shopmesh.platform.config.Env;
import dev.shopmesh.testkit.TestTls;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Each Java service of compose.yaml, started here through its production wiring
 * ({@code Main.start(Env)}) with the environment compose gives it: only the addresses change
 * (the tests' PostgreSQL with compose's role, password and database; free ports; unreachable
 * peers and collector).
 */
class ComposeServicesTest {
  private static final Pattern LOGBACK_VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)");

  @BeforeAll
  static void initialiseTheDatabasesComposeCreates() throws Exception {
    ComposePostgres.ensureInitialized();
  }

  @TestFactory
  Stream<DynamicTest> everyServiceReadsEveryVariableComposeSetsAndServesWhatEnvoyHealthChecks() {
    return Compose.javaServiceModules().entrySet().stream()
        .map(e -> dynamicTest(e.getKey(), () -> checkService(e.getKey(), e.getValue())));
  }

  @Test
  void theHealthProbeFailsWhenNothingServes() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> command = probeCommand("user-svc", ServiceModules.find("user-svc").orElseThrow(), port);

    assertThat(run(command)).as(String.join(" ", command)).isNotZero();
  }

  private static void checkService(String service, String moduleName) throws Exception {
    Module module = ServiceModules.find(moduleName).orElse(null);
    assumeTrue(module != null, "module " + moduleName + " is not on this branch yet");
    Class<?> main = ServiceModules.mainClass(module);
    Map<String, String> compose = Compose.environment(service);
    Env env = Env.of(local(service, compose));

    Running running = ServiceModules.start(main, env);
    try {
      Set<String> read = new TreeSet<>(env.namesRead());
      read.addAll(logbackVariables(main));
      assertThat(read)
          .as("%s: compose sets only variables the service reads (Env.namesRead() and logback.xml)", service)
          .containsAll(compose.keySet());

      var healthChecked = Envoy.clusters().values().stream()
          .filter(c -> Compose.reaches(Envoy.endpoint(c).getAddress(), service))
          .map(Envoy::healthCheckedService)
          .flatMap(java.util.Optional::stream)
          .toList();
      for (String grpcService : healthChecked) {
        assertThat(health(running.grpcPort(), grpcService))
            .as("%s serves %s, which Envoy health-checks", service, grpcService)
            .isEqualTo(ServingStatus.SERVING);
      }

      List<String> probe = probeCommand(service, module, running.grpcPort());
      assertThat(run(probe)).as("compose's healthcheck, run here: " + String.join(" ", probe)).isZero();
    } finally {
      running.stop();
    }
  }

  /**
   * compose's environment of {@code service} with the addresses of this machine, and its
   * certificate and key from the tests' mesh CA in place of compose's secrets.
   */
  static Map<String, String> local(String service, Map<String, String> compose) {
    Map<String, String> vars = new HashMap<>();
    compose.forEach((name, value) -> vars.put(name, localValue(service, name, value)));
    return vars;
  }

  private static String localValue(String service, String name, String value) {
    if (name.startsWith("TLS_") && name.endsWith("_FILE")) {
      return TestTls.vars(service).getOrDefault(name, value);
    }
    if (name.equals("PORT") || name.endsWith("_PORT")) {
      return "0";
    }
    if (name.equals("DATABASE_URL")) {
      return ComposePostgres.localUrl(value);
    }
    if (name.endsWith("_TARGET")) {
      return "localhost:1";
    }
    if (name.equals("OTEL_EXPORTER_OTLP_ENDPOINT")) {
      return "http://127.0.0.1:1";
    }
    if (name.equals("DESCRIPTOR_SET")) {
      return Repo.file("proto/target/descriptor/shopmesh.protobin").toString();
    }
    if (name.equals("JWKS_URL")) {
      return dev.shopmesh.testkit.TestIdentity.shared().jwksUrl();
    }
    if (name.equals("SIGNING_KEYS_DIR")) {
      return dev.shopmesh.testkit.TestIdentity.shared().keysDir().toString();
    }
    if (name.equals("SHUTDOWN_NOTICE")) {
      return "0s";
    }
    if (name.equals("SHUTDOWN_DRAIN")) {
      return "1s";
    }
    return value;
  }

  /** The variables the service's logback.xml reads (LOG_FORMAT, LOG_LEVEL). */
  static Set<String> logbackVariables(Class<?> main) throws IOException {
    Set<String> names = new TreeSet<>();
    URL config = main.getClassLoader().getResource("logback.xml");
    if (config != null) {
      try (InputStream in = config.openStream()) {
        LOGBACK_VARIABLE.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8))
            .results()
            .forEach(m -> names.add(m.group(1)));
      }
    }
    return names;
  }

  /**
   * compose's healthcheck command for {@code service}, for this machine: this JVM's java, the
   * module's packaged jar (with its manifest Class-Path, as in the image) or else the test
   * classpath, and the port the service got.
   */
  static List<String> probeCommand(String service, Module module, int port) {
    List<String> command = new ArrayList<>(Compose.healthcheckCommand(service));
    String java = ProcessHandle.current().info().command().orElseThrow();
    String classpath = Files.isRegularFile(module.jar())
        ? module.jar().toString()
        : System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    assertThat(command.get(0)).isEqualTo("java");
    command.set(0, java);
    int cp = command.indexOf("-cp");
    assertThat(cp).as(service + " healthcheck names its classpath").isPositive();
    command.set(cp + 1, classpath);
    command.set(command.size() - 1, String.valueOf(port));
    return command;
  }

  static int run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return p.exitValue();
  }

  static ServingStatus health(int port, String service) {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
    } finally {
      channel.shutdownNow();
    }
  }
}
