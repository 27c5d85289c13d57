package dev.shopmesh.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {
  private static BenchOptions parse(String... args) {
    return BenchOptions.parse(args, Map.of("MESH_HOME", "/tmp/mesh-home"));
  }

  @Test
  void defaultsAreAClosedLoopOfSixteenOverEveryScenarioIntoTheMeshHome() {
    BenchOptions o = parse();

    assertThat(o.load()).isEqualTo(new Load.Closed(16));
    assertThat(o.scenarios()).containsExactly(Scenario.values());
    assertThat(o.mesh()).isEqualTo(BenchOptions.MeshMode.AUTO);
    assertThat(o.out().getParent()).isEqualTo(Path.of("/tmp/mesh-home/bench"));
  }

  @Test
  void rateMakesAnOpenLoop() {
    assertThat(parse("--rate", "250", "--max-in-flight", "64").load()).isEqualTo(new Load.Open(250, 64));
  }

  @Test
  void concurrencyAndRateExcludeEachOther() {
    assertThatThrownBy(() -> parse("--rate", "10", "--concurrency", "4"))
        .hasMessageContaining("exclude each other");
  }

  @Test
  void aTargetFlagMeansARunningMesh() {
    BenchOptions o = parse("--edge-http", "http://127.0.0.1:18080/", "--edge-grpc", "127.0.0.1:19090");

    assertThat(o.mesh()).isEqualTo(BenchOptions.MeshMode.RUNNING);
    assertThat(o.targets().edgeHttp().toString()).isEqualTo("http://127.0.0.1:18080");
    assertThat(o.targets().userGrpc()).isEqualTo(Targets.LOCAL.userGrpc());
  }

  @Test
  void userGrpcTakesAListOfReplicas() {
    assertThat(parse("--user-grpc", "localhost:50051,localhost:50061").targets().userGrpc())
        .isEqualTo("localhost:50051,localhost:50061");
    assertThatThrownBy(() -> parse("--user-grpc", "localhost:50051,"))
        .hasMessageContaining("host:port or a list");
  }

  @Test
  void durationsTakeUnitsAndBareSeconds() {
    BenchOptions o = parse("--duration", "2m", "--warmup", "0", "--timeout", "750ms");

    assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.warmup()).isZero();
    assertThat(o.timeout()).isEqualTo(Duration.ofMillis(750));
  }

  @Test
  void unknownScenarioNamesTheKnownOnes() {
    assertThatThrownBy(() -> parse("--scenarios", "grpc-get-user,nope"))
        .hasMessageContaining("unknown scenario 'nope'")
        .hasMessageContaining("rest-create-order");
  }
}
