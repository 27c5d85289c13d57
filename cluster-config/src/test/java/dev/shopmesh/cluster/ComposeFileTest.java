package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.shopmesh.cluster.ServiceModules.Module;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import com.google.protobuf.util.Durations;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** compose.yaml on its own terms: what Compose needs, and what a scalable cluster needs. */
class ComposeFileTest {
  static final String APP_JAR = "/app/app.jar";

  @Test
  void hasAProjectNameAndNoObsoleteVersionKey() {
    assertThat(Compose.model()).doesNotContainKey("version").containsEntry("name", "shopmesh");
  }

  @Test
  void everyBindMountedHostPathExistsInTheRepository() {
    for (String service : Compose.services().keySet()) {
      for (String source : Compose.bindMounts(service).keySet()) {
        assertThat(source).as(service).startsWith("./");
        assertThat(Repo.file(source.substring(2))).as(service + " mounts " + source).exists();
      }
    }
    assertThat(Compose.bindMounts("envoy")).isNotEmpty();
  }

  @Test
  void noServiceHasAContainerNameAndScalableServicesPublishNoHostPort() {
    for (String service : Compose.services().keySet()) {
      assertThat(Compose.service(service)).as(service).doesNotContainKey("container_name");
    }
    for (String service : Compose.javaServiceModules().keySet()) {
      assertThat(Compose.ports(service)).as(service + " scales with --scale: no host port").isEmpty();
    }
  }

  @Test
  void everyImageIsPinnedToAVersion() {
    for (String service : Compose.services().keySet()) {
      Object image = Compose.service(service).get("image");
      if (image != null) {
        assertThat(String.valueOf(image)).as(service).matches("[\\w./-]+:[\\w.-]*\\d[\\w.-]*").doesNotEndWith(":latest");
      } else {
        assertThat(Compose.service(service)).as(service + " has an image or a build").containsKey("build");
      }
    }
  }

  @Test
  void postgresIsTheVersionTheTestsRun() throws Exception {
    String binaries = xmlProperty(Repo.read("pom.xml"), "postgres-binaries.version");   // e.g. 17.6.0
    String[] v = binaries.split("\\.");

    assertThat(String.valueOf(Compose.service("postgres").get("image"))).isEqualTo("postgres:" + v[0] + "." + v[1]);
  }

  @Test
  void servicesWithADatabaseStartOnceItIsHealthy() {
    for (String service : Compose.services().keySet()) {
      if (Compose.environment(service).containsKey("DATABASE_URL")) {
        Map<String, Object> dependsOn = Compose.map(Compose.service(service).get("depends_on"));
        assertThat(Compose.map(dependsOn.get("postgres"))).as(service)
            .containsEntry("condition", "service_healthy");
      }
    }
  }

  @Test
  void everyServiceHasAHealthcheckAMemoryLimitAndARestartPolicy() {
    for (String service : Compose.services().keySet()) {
      Map<String, Object> spec = Compose.service(service);
      assertThat(spec).as(service).containsKey("healthcheck").containsKey("restart");
      var limits = Compose.map(Compose.map(Compose.map(spec.get("deploy")).get("resources")).get("limits"));
      assertThat(String.valueOf(limits.get("memory"))).as(service + " memory limit").matches("\\d+[MG]");
    }
  }

  @TestFactory
  Stream<DynamicTest> healthchecksRunTheServicesOwnProbeFromTheImagesJarOnItsPort() {
    return Compose.javaServiceModules().keySet().stream().map(service -> dynamicTest(service, () -> {
      List<String> command = Compose.healthcheckCommand(service);
      assertThat(command.get(0)).isEqualTo("java");
      int cp = command.indexOf("-cp");
      assertThat(command.get(cp + 1)).as("the app jar the Dockerfile installs").isEqualTo(APP_JAR);
      assertThat(Dockerfile.copyDestination("service", "app.jar")).contains(APP_JAR);

      Class<?> probe = Class.forName(command.get(cp + 2));
      Method main = probe.getMethod("main", String[].class);
      assertThat(Modifier.isStatic(main.getModifiers())).isTrue();

      Map<String, String> env = Compose.environment(service);
      String port = env.containsKey("PORT") ? env.get("PORT") : env.get("GRPC_PORT");
      assertThat(command.get(command.size() - 1)).as(service + " probes the port it listens on").isEqualTo(port);
    }));
  }

  @TestFactory
  Stream<DynamicTest> buildArgsNameModulesWithARunnableJar() {
    return Compose.javaServiceModules().entrySet().stream().map(e -> dynamicTest(e.getKey(), () -> {
      assertThat(Compose.buildArgs(e.getKey()).orElseThrow()).containsOnlyKeys("SERVICE");
      assertThat(Compose.map(Compose.service(e.getKey()).get("build"))).containsEntry("target", "service");
      Module module = ServiceModules.find(e.getValue()).orElse(null);
      assumeTrue(module != null, "module " + e.getValue() + " is not on this branch yet");
      // The Dockerfile copies <SERVICE>/target/<SERVICE>.jar and runs it with java -jar.
      assertThat(module.finalName()).isEqualTo(module.name());
      assertThat(module.mainClass()).isNotBlank();
      assertThat(ServiceModules.mainClass(module).getMethod("main", String[].class)).isNotNull();
    }));
  }

  @Test
  void shutdownFitsTheStopGracePeriodAndOutlastsEnvoysHealthChecks() {
    for (String service : Compose.javaServiceModules().keySet()) {
      Map<String, String> env = Compose.environment(service);
      if (!env.containsKey("SHUTDOWN_NOTICE")) {
        continue;
      }
      long notice = Compose.millis(env.get("SHUTDOWN_NOTICE"));
      long drain = Compose.millis(env.get("SHUTDOWN_DRAIN"));
      long grace = Compose.millis(String.valueOf(Compose.service(service).get("stop_grace_period")));
      assertThat(notice + drain + 5_000).as(service + ": notice + drain + closing, before SIGKILL").isLessThanOrEqualTo(grace);

      Cluster cluster = Envoy.clusters().values().stream()
          .filter(c -> Compose.reaches(Envoy.endpoint(c).getAddress(), service)).findFirst().orElseThrow();
      HealthCheck hc = cluster.getHealthChecks(0);
      long detection = hc.getUnhealthyThreshold().getValue()
              * (Durations.toMillis(hc.getInterval()) + Durations.toMillis(hc.getIntervalJitter()))
          + Durations.toMillis(hc.getTimeout());
      assertThat(notice).as(service + ": NOT_SERVING lasts until Envoy has seen it").isGreaterThanOrEqualTo(detection);
    }
  }

  @Test
  void connectionPoolsFitPostgresMaxConnectionsAtEightReplicasEach() {
    List<?> command = (List<?>) Compose.service("postgres").get("command");
    Matcher m = Pattern.compile("max_connections=(\\d+)").matcher(String.join(" ", command.stream().map(String::valueOf).toList()));
    assertThat(m.find()).isTrue();
    int maxConnections = Integer.parseInt(m.group(1));
    int perReplicaSet = Compose.services().keySet().stream()
        .map(Compose::environment)
        .filter(env -> env.containsKey("DATABASE_URL"))
        .mapToInt(env -> Integer.parseInt(env.get("DB_POOL_SIZE")))
        .sum();

    // superuser_reserved_connections (3) stay free for an operator's psql.
    assertThat(perReplicaSet * 8 + 3).isLessThanOrEqualTo(maxConnections);
  }

  @Test
  void jaegerIsV2WithOtlpAndTheUi() {
    assertThat(String.valueOf(Compose.service("jaeger").get("image"))).matches("jaegertracing/jaeger:2\\.\\d+\\.\\d+");
    assertThat(Compose.environment("jaeger")).containsEntry("JAEGER_LISTEN_HOST", "0.0.0.0");
    assertThat(Compose.publishedPorts("jaeger")).containsEntry(16686, 16686).containsEntry(4317, 4317).containsEntry(4318, 4318);
  }

  @Test
  void servicesExportTracesOnlyToJaegerOverOtlpHttp() {
    for (String service : Compose.javaServiceModules().keySet()) {
      Map<String, String> env = Compose.environment(service);
      if (env.keySet().stream().anyMatch(k -> k.startsWith("OTEL_"))) {
        assertThat(env).as(service)
            .containsEntry("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4318")
            .containsEntry("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
            .containsEntry("OTEL_METRICS_EXPORTER", "none");
      }
    }
  }

  static String xmlProperty(String pom, String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom);
    if (!m.find()) {
      throw new AssertionError("pom.xml has no property " + name);
    }
    return m.group(1).strip();
  }

  @Test
  void theRepositoryHasTheFilesComposeBuildsFrom() {
    assertThat(Files.isRegularFile(Repo.file("Dockerfile"))).isTrue();
    for (String service : Compose.services().keySet()) {
      Object build = Compose.service(service).get("build");
      if (build != null) {
        Map<String, Object> b = Compose.map(build);
        assertThat(b).as(service).containsEntry("context", ".");
        assertThat(Dockerfile.stages()).as(service).containsKey(String.valueOf(b.get("target")));
      }
    }
  }
}
