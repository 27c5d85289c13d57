package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.cluster.Dockerfile.Instruction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Dockerfile's promises: a JDK 25 Maven build, a small non-root JRE 25 runtime. */
class DockerfileTest {
  @Test
  void buildsWithTheMavenWrapperOnAJdk25() {
    assertThat(Dockerfile.baseImage("build")).matches("eclipse-temurin:25-jdk(-\\w+)?");
    assertThat(Dockerfile.stage("build"))
        .filteredOn(i -> i.keyword().equals("RUN"))
        .anySatisfy(i -> assertThat(i.arguments()).contains("./mvnw").contains("package"));
  }

  @Test
  void theBuildStageTakesNoBuildArgSoEveryImageSharesOneMavenBuild() {
    assertThat(Dockerfile.stage("build")).noneMatch(i -> i.keyword().equals("ARG"));
  }

  @Test
  void servicesRunOnAJre25AsANonRootUser() {
    assertThat(Dockerfile.baseImage("service")).matches("eclipse-temurin:25-jre(-\\w+)?");
    List<Instruction> users = Dockerfile.stage("service").stream().filter(i -> i.keyword().equals("USER")).toList();
    assertThat(users).isNotEmpty();
    String user = users.get(users.size() - 1).arguments().split(":")[0];
    assertThat(user).isNotIn("root", "0");
  }

  @Test
  void servicesInTheImageListenBeyondLoopback() {
    // Outside the image they bind 127.0.0.1 (BIND_HOST); in a container nothing could reach them.
    assertThat(Dockerfile.stage("service"))
        .filteredOn(i -> i.keyword().equals("ENV"))
        .extracting(Instruction::arguments)
        .contains("BIND_HOST=0.0.0.0");
  }

  @Test
  void dependencyLayersComeBeforeTheAppJar() {
    List<Instruction> stage = Dockerfile.stage("service");
    int lib = indexOfCopyTo(stage, "/app/lib/");
    int app = indexOfCopyTo(stage, "/app/app.jar");

    assertThat(lib).isNotNegative();
    assertThat(app).isGreaterThan(lib);
    assertThat(stage.stream().filter(i -> i.keyword().equals("COPY") && i.arguments().endsWith("/app/lib/")))
        .as("third-party jars, then this project's own").hasSize(2);
  }

  @Test
  void theJvmCapsEveryPoolAndTheirSumWithTheProbeJvmFitsComposesLimit() {
    List<String> entrypoint = entrypoint();
    assertThat(entrypoint).startsWith("java").endsWith("-jar", "/app/app.jar")
        .contains("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
    Map<String, Long> caps = JvmFlags.caps(entrypoint);
    assertThat(caps).as("heap, metaspace, code cache and direct memory capped, as ./mesh up caps them")
        .containsKeys("heap", "metaspace", "code cache", "direct memory", "thread stack");

    for (String service : Compose.javaServiceModules().keySet()) {
      Object memory = ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) Compose.service(service).get("deploy")).get("resources")).get("limits")).get("memory");
      long limit = JvmFlags.quantityMib(String.valueOf(memory).replace("M", "Mi"));
      List<String> probe = Compose.healthcheckCommand(service);
      Map<String, Long> probeCaps = JvmFlags.caps(probe);
      assertThat(probeCaps).as(service + ": the probe JVM runs in the same cgroup: capped too")
          .containsKeys("heap", "metaspace", "code cache", "direct memory");
      long total = JvmFlags.footprintMib(caps) + PROBE_JVM_MIB;
      long probeFootprint = (probeCaps.get("heap") + probeCaps.get("metaspace") + probeCaps.get("code cache")
          + probeCaps.get("direct memory") + PROBE_THREADS * probeCaps.getOrDefault("thread stack", 1024L)) / 1024 + PROBE_NATIVE_MIB;
      assertThat(probeFootprint)
          .as(service + ": the probe JVM %s fits the %d MiB kept for it", probeCaps, PROBE_JVM_MIB).isLessThanOrEqualTo(PROBE_JVM_MIB);
      assertThat(total).as(service + ": the JVM's caps %s plus the probe JVM, against compose's %d MiB limit", caps, limit)
          .isLessThanOrEqualTo(limit);
    }
  }

  /** What the healthcheck's JVM may take: kept free under the service's limit. */
  static final long PROBE_JVM_MIB = 80;

  /** A probe JVM's platform threads and its own native memory beyond its pools. */
  static final int PROBE_THREADS = 16;

  static final long PROBE_NATIVE_MIB = 24;

  @Test
  void theImageBuildCompilesOnlyTheModulesTheImagesHold() {
    String run = Dockerfile.stage("build").stream()
        .filter(i -> i.keyword().equals("RUN") && i.arguments().contains("./mvnw")).findFirst().orElseThrow().arguments();
    Matcher pl = Pattern.compile("-pl\\s+(\\S+)").matcher(run);
    assertThat(pl.find()).as("the build names its modules: " + run).isTrue();
    Set<String> built = Set.of(pl.group(1).replace("'", "").split(","));
    Set<String> images = new TreeSet<>(Compose.javaServiceModules().values());

    assertThat(built).as("the modules compose builds images of").isEqualTo(images);
    assertThat(run).as("with what they need").contains(" -am ");
    Set<String> reactor = ServiceModules.reactorClosure(built);
    assertThat(reactor).as("the reactor the build runs").doesNotContain("mesh-launcher", "load-generator", "e2e-tests", "cluster-config");
  }

  static List<String> entrypoint() {
    String json = Dockerfile.stage("service").stream()
        .filter(i -> i.keyword().equals("ENTRYPOINT")).reduce((a, b) -> b).orElseThrow().arguments();
    List<String> args = new ArrayList<>();
    Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(json);
    while (m.find()) {
      args.add(m.group(1));
    }
    return args;
  }

  @Test
  void envoyIsTheV134ImageWhoseApiTheConfigIsCheckedAgainst() {
    // io.envoyproxy.controlplane:api 1.0.49 carries the Envoy v1.34.0 protos.
    assertThat(Dockerfile.baseImage("envoy")).matches("envoyproxy/envoy:v1\\.34\\.\\d+");
  }

  @Test
  void theBuildContextLeavesOutBuildOutputAndGit() {
    assertThat(Repo.read(".dockerignore").lines().map(String::strip).toList())
        .contains("**/target/", ".git");
  }

  private static int indexOfCopyTo(List<Instruction> stage, String destination) {
    for (int i = 0; i < stage.size(); i++) {
      if (stage.get(i).keyword().equals("COPY") && stage.get(i).arguments().endsWith(" " + destination)) {
        return i;
      }
    }
    return -1;
  }
}
