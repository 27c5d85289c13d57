package dev.shopmesh.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generator against a fake shop at a tiny load, over real sockets: it runs every scenario and
 * counts correctly. Nothing here asserts on timing; a benchmark measures, it is not a test.
 */
class LoadGeneratorSmokeTest {
  @TempDir Path out;
  private FakeShop shop;

  @BeforeEach
  void startShop() throws Exception {
    shop = new FakeShop();
  }

  @AfterEach
  void stopShop() {
    shop.close();
  }

  @Test
  void closedLoopRunsEveryScenarioAndCountsEachRequestOnce() throws Exception {
    RunResult run = bench("--concurrency", "2", "--mesh-warmup", "300ms");

    assertThat(run.skipped()).isEmpty();
    assertThat(run.meshWarmup()).hasMillis(300);
    assertThat(run.scenarios()).extracting(ScenarioResult::name)
        .containsExactly("grpc-get-user", "rest-get-user", "grpc-create-order", "rest-create-order", "mix");
    for (ScenarioResult r : all(run)) {
      assertCounted(r);
    }
    assertThat(run.ceiling().errors()).isEmpty();
    assertThat(run.scenarios().get(0).errors()).isEmpty(); // every GetUser names a setup user
    assertThat(run.scenarios().get(1).errors().keySet()).isSubsetOf("HTTP 503");
  }

  @Test
  void aCreateOrderIsOkOnlyWhenConfirmedAndFailuresKeepTheirLatency() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    RunResult run = bench(console, "--concurrency", "2", "--scenarios", "grpc-create-order,rest-create-order");

    for (ScenarioResult r : run.scenarios()) {
      assertCounted(r);
      assertThat(r.unsuccessful().keySet()).as(r.name()).contains("order PENDING_PAYMENT", "order PAYMENT_DECLINED");
      assertThat(r.errors().keySet()).as(r.name()).doesNotContain("order PENDING_PAYMENT", "order PAYMENT_DECLINED");
    }
    assertThat(run.scenarios().get(0).errors()).isEmpty();
    assertThat(run.scenarios().get(1).errors().keySet()).containsExactly("HTTP 503");
    String report = console.toString(StandardCharsets.UTF_8);
    assertThat(report).contains("offered/s", "not ok", "latency of the requests that did not succeed", "order PENDING_PAYMENT");
  }

  @Test
  void openLoopReportsTheOfferedRateBesideTheAchievedOne() throws Exception {
    RunResult run = bench("--rate", "200", "--scenarios", "grpc-get-user");

    ScenarioResult r = run.scenarios().getFirst();
    // Requests due in a 500 ms window at 200/s: 100, whatever the fake answered.
    assertThat(r.sent()).isEqualTo(100);
    assertThat(r.offered()).isEqualTo(200.0);
  }

  @Test
  void openLoopCountsEveryScheduledRequest() throws Exception {
    RunResult run = bench("--rate", "200", "--scenarios", "rest-get-user,grpc-create-order");

    assertThat(run.scenarios()).hasSize(2);
    for (ScenarioResult r : all(run)) {
      assertCounted(r);
    }
  }

  @Test
  void writesAResultFileThatParsesAndAPlot() throws Exception {
    RunResult run = bench("--concurrency", "1", "--scenarios", "grpc-get-user");

    Struct.Builder json = Struct.newBuilder();
    JsonFormat.parser().merge(Files.readString(out.resolve("result.json")), json);
    Map<String, Value> fields = json.getFieldsMap();
    assertThat(fields.get("ceiling").getStructValue().getFieldsMap().get("sent").getNumberValue())
        .isEqualTo(run.ceiling().sent());
    List<Value> scenarios = fields.get("scenarios").getListValue().getValuesList();
    assertThat(scenarios).hasSize(1);
    Map<String, Value> s = scenarios.getFirst().getStructValue().getFieldsMap();
    assertThat(s.get("name").getStringValue()).isEqualTo("grpc-get-user");
    assertThat(s.get("sent").getNumberValue())
        .isEqualTo(s.get("ok").getNumberValue() + s.get("errors").getNumberValue() + s.get("notOk").getNumberValue())
        .isEqualTo(run.scenarios().getFirst().sent());
    assertThat(s.get("histogramCount").getNumberValue()).isEqualTo(s.get("ok").getNumberValue());
    assertThat(out.resolve("latency.svg")).isRegularFile();
    assertThat(Files.readString(out.resolve("latency.svg"))).startsWith("<svg").contains("grpc-get-user");
    assertThat(out.resolve("grpc-get-user.hlog")).isRegularFile();
  }

  private RunResult bench(String... load) throws Exception {
    return bench(new ByteArrayOutputStream(), load);
  }

  private RunResult bench(ByteArrayOutputStream console, String... load) throws Exception {
    Targets t = shop.targets();
    List<String> args =
        new ArrayList<>(
            List.of(
                "--user-grpc", t.userGrpc(),
                "--edge-grpc", t.edgeGrpc(),
                "--edge-http", t.edgeHttp().toString(),
                "--duration", "500ms",
                "--warmup", "100ms",
                "--users", "5",
                "--out", out.toString()));
    args.addAll(List.of(load));
    BenchOptions options = BenchOptions.parse(args.toArray(String[]::new), Map.of());
    RunResult run = new Bench(options, args, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
    assertThat(console.toString(StandardCharsets.UTF_8)).contains("ceiling", "p50");
    return run;
  }

  private static List<ScenarioResult> all(RunResult run) {
    List<ScenarioResult> all = new ArrayList<>(run.scenarios());
    all.add(run.ceiling());
    return all;
  }

  private static void assertCounted(ScenarioResult r) {
    assertThat(r.sent()).as(r.name() + " sent").isPositive();
    assertThat(r.ok() + r.errorCount() + r.unsuccessfulCount()).as(r.name() + " ok + errors + not ok").isEqualTo(r.sent());
    assertThat(r.latency().getTotalCount()).as(r.name() + " histogram count").isEqualTo(r.ok());
    assertThat(r.failedLatency().getTotalCount())
        .as(r.name() + " failed histogram count")
        .isEqualTo(r.errorCount() + r.unsuccessfulCount());
  }
}
