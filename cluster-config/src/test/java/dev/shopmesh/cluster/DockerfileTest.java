package dev.shopmesh.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.shopmesh.cluster.Dockerfile.Instruction;
import java.util.List;
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
  void theJvmIsSetUpForAContainerWithAMemoryLimit() {
    String entrypoint = Dockerfile.stage("service").stream()
        .filter(i -> i.keyword().equals("ENTRYPOINT")).reduce((a, b) -> b).orElseThrow().arguments();

    assertThat(entrypoint)
        .startsWith("[")
        .contains("\"-XX:MaxRAMPercentage=", "\"-XX:+UseSerialGC\"", "\"-XX:+ExitOnOutOfMemoryError\"")
        .endsWith("\"-jar\", \"/app/app.jar\"]");
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
